package io.osdeploy.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.osdeploy.api.v1alpha1.Step;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The policy document as the daemon writes it and the agent reads it. */
class PolicyDocumentTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static PolicyDocument.PolicyStep applyStep() {
    PolicyDocument.PolicyStep step = new PolicyDocument.PolicyStep();
    step.setName("Apply");
    step.setApplyOperatingSystem(new Step.ApplyOperatingSystem());
    step.getApplyOperatingSystem().setOsImage("win11");
    step.setContent(
        new PolicyDocument.ContentSource(
            null,
            "win11",
            "Wim",
            3,
            "ab".repeat(32),
            1000L,
            "Zstd",
            new PolicyDocument.Uncompressed("cd".repeat(32), 4000L),
            "http://dp:9080/content/win11",
            true,
            "http://dp:9080/v1/multicast/join?image=win11"));
    return step;
  }

  @Test
  void aStepKeepsItsActionBesideItsContentAndTheDocumentReadsBackEqual() throws Exception {
    PolicyDocument written =
        new PolicyDocument(
            new PolicyDocument.Machine("52:54:00:00:00:01", null),
            "pxe",
            List.of(
                new PolicyDocument.Offer(
                    "windows",
                    "site",
                    "desk-01",
                    "Required",
                    true,
                    "MediaAndPxe",
                    "Unicast",
                    "2026-12-24T00:00:00Z",
                    false,
                    List.of(applyStep()))));
    JsonNode tree = JSON.valueToTree(written);
    JsonNode step = tree.path("deployments").get(0).path("steps").get(0);
    // The step's own fields and its content side by side, as the agent has always read them.
    assertEquals("win11", step.path("applyOperatingSystem").path("osImage").asText());
    assertEquals(3, step.path("content").path("imageIndex").asInt());
    assertFalse(step.path("content").has("available"), "absent means available");
    assertTrue(tree.path("machine").has("uuid"), "the machine names both, null or not");

    PolicyDocument read = JSON.readValue(JSON.writeValueAsBytes(written), PolicyDocument.class);
    PolicyDocument.Offer offer = read.deployments().get(0);
    assertEquals("desk-01", offer.machineName());
    assertEquals("Unicast", offer.delivery());
    PolicyDocument.PolicyStep readStep = offer.steps().get(0);
    assertEquals("win11", readStep.getApplyOperatingSystem().getOsImage());
    assertEquals(applyStep().getContent(), readStep.getContent());
    assertTrue(readStep.getContent().fetchable());
  }

  @Test
  void fieldsOneSideDoesNotKnowAreIgnoredAndDeliveryDefaultsAsTheSpecDoes() throws Exception {
    PolicyDocument read =
        JSON.readValue(
            "{\"deployments\":[{\"name\":\"d\",\"somethingNewer\":1,\"steps\":[{\"name\":\"s\","
                + "\"restart\":{},\"content\":{\"available\":false,\"later\":true}}]}],"
                + "\"extra\":{}}",
            PolicyDocument.class);
    PolicyDocument.Offer offer = read.deployments().get(0);
    assertEquals("MulticastPreferred", offer.delivery());
    assertNull(offer.deadlinePassed());
    assertFalse(offer.steps().get(0).getContent().fetchable());
    assertEquals(
        List.of(), new PolicyDocument(null, "pxe", null).onlyThose(List.of("d")).deployments());
    assertEquals(
        List.of("d"),
        read.onlyThose(List.of("d", "e")).deployments().stream()
            .map(PolicyDocument.Offer::name)
            .toList());
    assertEquals(List.of(), read.onlyThose(List.of("e")).deployments());
  }
}
