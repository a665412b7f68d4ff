package io.osdeploy.daemon.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.api.v1alpha1.ImageState.Phase;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeStatusApplyTest {
  private static final String SHA = "ab".repeat(32);

  @Test
  void bodyHoldsOnlyThisNodesEntry() {
    ImageState downloading = new ImageState("win11", SHA, Phase.Downloading);
    downloading.setBytes(1024L);
    downloading.setTotalBytes(4096L);
    ImageState failed = new ImageState("win10", SHA, Phase.Failed);
    failed.setReason(ImageState.SOURCE_ERROR);
    failed.setMessage("HTTP 404 from repo");
    NodeReport report =
        new NodeReport(
            "site",
            "berlin",
            NodeReport.nodeStatus(
                "node-a", "0.1.0", "http://10.0.0.5:9080", 7, List.of(downloading, failed)));

    String expected =
        "{\"apiVersion\":\"osdeploy.io/v1alpha1\",\"kind\":\"DistributionPoint\","
            + "\"metadata\":{\"name\":\"berlin\",\"namespace\":\"site\"},"
            + "\"status\":{\"nodes\":[{\"name\":\"node-a\",\"daemonVersion\":\"0.1.0\","
            + "\"endpoint\":\"http://10.0.0.5:9080\",\"configGeneration\":7,\"images\":["
            + "{\"name\":\"win11\",\"sha256\":\""
            + SHA
            + "\",\"state\":\"Downloading\","
            + "\"bytes\":1024,\"totalBytes\":4096},"
            + "{\"name\":\"win10\",\"sha256\":\""
            + SHA
            + "\",\"state\":\"Failed\","
            + "\"reason\":\"SourceError\",\"message\":\"HTTP 404 from repo\"}]}]}}";
    assertEquals(expected, NodeStatusApply.body(report));
  }

  @Test
  void aNodeWithoutImagesSendsNoImageList() {
    NodeReport report =
        new NodeReport(
            "site", "berlin", NodeReport.nodeStatus("node-a", "0.1.0", "http://h:1", 1, List.of()));
    assertEquals(
        "{\"apiVersion\":\"osdeploy.io/v1alpha1\",\"kind\":\"DistributionPoint\","
            + "\"metadata\":{\"name\":\"berlin\",\"namespace\":\"site\"},"
            + "\"status\":{\"nodes\":[{\"name\":\"node-a\",\"daemonVersion\":\"0.1.0\","
            + "\"endpoint\":\"http://h:1\",\"configGeneration\":1}]}}",
        NodeStatusApply.body(report));
  }

  @Test
  void fieldManagerIsNamedForTheNodeAndFitsTheApiLimit() {
    assertEquals("osdeploy-daemon/node-a", NodeStatusApply.fieldManager("node-a"));

    String a = "n".repeat(200) + "-a";
    String b = "n".repeat(200) + "-b";
    String managerA = NodeStatusApply.fieldManager(a);
    assertEquals(NodeStatusApply.FIELD_MANAGER_MAX, managerA.length());
    assertTrue(managerA.startsWith("osdeploy-daemon/nnn"));
    assertNotEquals(managerA, NodeStatusApply.fieldManager(b));
  }
}
