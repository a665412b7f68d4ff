package io.osdeploy.operator.page;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SiteViewTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String DEPLOYMENT =
      String.join(
          "\n",
          "apiVersion: osdeploy.io/v1alpha1",
          "kind: TaskSequenceDeployment",
          "metadata: {name: lab, namespace: site}",
          "spec:",
          "  taskSequence:",
          "    steps:",
          "      - {name: Apply image, applyOperatingSystem: {osImage: img}}",
          "      - name: Settings",
          "        applyWindowsSettings: {administratorPassword: {name: admin-secret}}",
          "      - {name: Check, runCommand: {command: 'exit 3'}}",
          "  target:",
          "    machines:",
          "      - {name: lab-01, mac: '52:54:00:aa:00:01'}",
          "      - {name: lab-02, mac: '52:54:00:aa:00:02'}",
          "      - {name: lab-03, mac: '52:54:00:aa:00:03'}",
          "status:",
          "  machines: {targeted: 3, pending: 1, running: 1, failed: 1}",
          "  reports:",
          "    - node: n1",
          "      machines:",
          "        - {mac: '52:54:00:aa:00:01', state: Running, step: 0, time: '2026-12-07T10:00:05Z',",
          "           message: 'img 50%', imageBytes: 50, imageTotalBytes: 100,",
          "           imageBytesPerSecond: 10}",
          "        - {mac: '52:54:00:aa:00:02', state: Running, step: 1, time: '2026-12-07T10:00:01Z',",
          "           imageBytes: 7}",
          "    - node: n2",
          "      machines:",
          "        - {mac: '52:54:00:aa:00:02', state: Failed, step: 2, time: '2026-12-07T10:00:09Z',",
          "           message: 'Check: exit code 3; output: no disk'}",
          "        - {mac: '52:54:00:aa:00:01', state: Running, step: 0, time: '2026-12-07T10:00:00Z'}");

  private static Map<String, JsonNode> machines(JsonNode d) {
    Map<String, JsonNode> byName = new HashMap<>();
    for (JsonNode m : d.path("machines")) {
      byName.put(m.path("name").asText(), m);
    }
    return byName;
  }

  @Test
  void eachMachineShowsItsLatestReportOverEveryNodeAndTheRestArePending() throws Exception {
    TaskSequenceDeployment d = Serialization.unmarshal(DEPLOYMENT, TaskSequenceDeployment.class);
    assertEquals("d/site/lab", SiteView.key(d));
    JsonNode view = JSON.readTree(SiteView.render(d));
    assertEquals(3, view.path("counts").path("targeted").asInt());
    assertEquals(0, view.path("counts").path("succeeded").asInt(), "absent counts are 0");
    assertEquals("[\"Apply image\",\"Settings\",\"Check\"]", view.path("steps").toString());
    Map<String, JsonNode> m = machines(view);
    assertEquals(3, m.size());

    JsonNode one = m.get("lab-01");
    assertEquals("n1", one.path("node").asText(), "the newer of its two reports");
    assertEquals(50, one.path("bytes").asLong());
    assertEquals(100, one.path("totalBytes").asLong());
    assertEquals(10, one.path("bytesPerSecond").asLong());

    JsonNode two = m.get("lab-02");
    assertEquals("Failed", two.path("state").asText());
    assertEquals(2, two.path("step").asInt());
    assertEquals(3, two.path("exitCode").asInt());
    assertFalse(two.has("bytes"), "a failed machine shows no image progress");

    JsonNode three = m.get("lab-03");
    assertEquals("Pending", three.path("state").asText());
    assertEquals("52:54:00:aa:00:03", three.path("id").asText());
  }

  @Test
  void aNodeShowsItsContentAndMulticastSessionsButNotTheirGroups() throws Exception {
    DistributionPoint p =
        Serialization.unmarshal(
            String.join(
                "\n",
                "apiVersion: osdeploy.io/v1alpha1",
                "kind: DistributionPoint",
                "metadata: {name: hall, namespace: site}",
                "spec:",
                "  osImages: {names: [img]}",
                "  multicast: {enabled: true, addressRange: {start: 239.9.9.1, end: 239.9.9.9}}",
                "status:",
                "  desiredNodes: 1",
                "  readyNodes: 1",
                "  nodes:",
                "    - name: n1",
                "      daemonVersion: '1.0'",
                "      images: [{name: img, sha256: '" + "a".repeat(64) + "', state: Downloading,",
                "                bytes: 5, totalBytes: 10}]",
                "      multicastSessions:",
                "        - {image: img, state: Waiting, machines: 2, waitingFor: 6,",
                "           startsBy: '2026-12-07T10:05:00Z'}",
                "        - {image: img, state: Repairing, machines: 8}"),
            DistributionPoint.class);
    assertEquals("p/site/hall", SiteView.key(p));
    String text = SiteView.render(p);
    JsonNode node = JSON.readTree(text).path("nodes").get(0);
    assertEquals("Downloading", node.path("images").get(0).path("state").asText());
    assertEquals(5, node.path("images").get(0).path("bytes").asLong());
    JsonNode waiting = node.path("sessions").get(0);
    assertEquals("Waiting", waiting.path("state").asText());
    assertEquals(6, waiting.path("waitingFor").asInt());
    assertEquals(2, waiting.path("machines").asInt());
    assertEquals("2026-12-07T10:05:00Z", waiting.path("startsBy").asText());
    assertEquals("Repairing", node.path("sessions").get(1).path("state").asText());
    assertFalse(text.contains("239.9.9"), "multicast groups stay off the page: " + text);
    assertFalse(text.contains("a".repeat(64)), "so do digests");
  }

  @Test
  void nothingButTheChosenFieldsLeavesTheDeployment() {
    TaskSequenceDeployment d = Serialization.unmarshal(DEPLOYMENT, TaskSequenceDeployment.class);
    String view = SiteView.render(d);
    for (String absent :
        new String[] {"admin-secret", "administratorPassword", "osImage", "exit 3'"}) {
      assertFalse(view.contains(absent), view);
    }
    assertTrue(view.contains("\"name\":\"lab\""));
  }
}
