package io.osdeploy.operator.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.osdeploy.api.v1alpha1.Condition;
import io.osdeploy.api.v1alpha1.ConditionType;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OSImageStatus;
import io.osdeploy.operator.status.Assessment;
import io.osdeploy.operator.status.StatusAggregator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The status patch a reconcile hands to JOSDK: the status the operator owns under the resource's
 * name, and nothing that makes the server-side apply conditional. JOSDK sends the object as it is,
 * so a resourceVersion in it would make every reconcile that started from a cache one event behind
 * fail with 409 Conflict (as the scale benchmark saw with nodes reporting and deployments being
 * woken in quick succession).
 */
class StatusReportingReconcilerTest {
  /** The shared reconcile and report, with an assessment given by the test. */
  private static final class Given extends StatusReportingReconciler<OSImage, OSImageStatus> {
    private Assessment assessment;
    private final List<String> events = new java.util.ArrayList<>();

    Given(Assessment assessment) {
      super(new StatusAggregator(), OSImageStatus::new);
      this.assessment = assessment;
    }

    @Override
    protected Assessment assess(OSImage image, OSImageStatus next, Context<OSImage> context) {
      return assessment;
    }

    @Override
    protected void recordEvent(
        Context<OSImage> context, OSImage image, String type, String reason, String message) {
      events.add(type + " " + reason + ": " + message);
    }
  }

  /** The sample image as the informer cache holds it: with the server's bookkeeping. */
  private static OSImage cached() throws IOException {
    OSImage image =
        Serialization.unmarshal(
            Files.readString(Path.of("..", "samples", "osimage.yaml")), OSImage.class);
    image.getMetadata().setNamespace("site-berlin");
    image.getMetadata().setResourceVersion("41");
    image.getMetadata().setGeneration(3L);
    image.getMetadata().setUid("6f1c1d2e-0000-4000-8000-000000000001");
    image.getMetadata().setManagedFields(List.of(new ManagedFieldsEntry()));
    return image;
  }

  private static void assertOnlyNameAndStatus(OSImage patch) {
    assertEquals("win11-24h2", patch.getMetadata().getName());
    assertEquals("site-berlin", patch.getMetadata().getNamespace());
    assertNull(patch.getMetadata().getResourceVersion(), "resourceVersion");
    assertNull(patch.getMetadata().getUid(), "uid");
    assertNull(patch.getMetadata().getGeneration(), "generation");
    assertTrue(patch.getMetadata().getManagedFields().isEmpty(), "managedFields");
    assertNull(patch.getSpec(), "spec");
    String json = Serialization.asJson(patch);
    assertFalse(json.contains("\"spec\""), json);
    assertFalse(json.contains("resourceVersion"), json);
  }

  @Test
  void aStatusPatchCarriesNoResourceVersionSoAStaleCacheCannotConflict() throws IOException {
    OSImage image = cached();

    UpdateControl<OSImage> control =
        new Given(Assessment.ready("Distributed", "verified everywhere")).reconcile(image, null);

    assertTrue(control.isPatchStatus());
    OSImage patch = control.getResource().orElseThrow();
    assertOnlyNameAndStatus(patch);
    assertEquals(3L, patch.getStatus().getObservedGeneration());
    Condition ready = patch.getStatus().condition(ConditionType.READY).orElseThrow();
    assertEquals(Condition.TRUE, ready.getStatus());
    assertEquals("Distributed", ready.getReason());
    assertEquals(3L, ready.getObservedGeneration());
    // The cached object is left as it was.
    assertEquals("41", image.getMetadata().getResourceVersion());
    assertNull(image.getStatus());
  }

  @Test
  void anErrorStatusPatchCarriesNoResourceVersionEither() throws IOException {
    OSImage image = cached();

    ErrorStatusUpdateControl<OSImage> control =
        new Given(Assessment.ready("Distributed", "verified everywhere"))
            .updateErrorStatus(image, null, new IllegalStateException("the API server went away"));

    OSImage patch = control.getResource().orElseThrow();
    assertOnlyNameAndStatus(patch);
    Condition ready = patch.getStatus().condition(ConditionType.READY).orElseThrow();
    assertEquals(Condition.FALSE, ready.getStatus());
    Condition reconciling = patch.getStatus().condition(ConditionType.RECONCILING).orElseThrow();
    assertEquals("ReconcileError", reconciling.getReason());
  }

  @Test
  void aStatusAlreadyAsItShouldBeIsNotPatched() throws IOException {
    Given reconciler = new Given(Assessment.ready("Distributed", "verified everywhere"));
    OSImage image = cached();
    image.setStatus(reconciler.reconcile(cached(), null).getResource().orElseThrow().getStatus());

    assertTrue(reconciler.reconcile(image, null).isNoUpdate());
  }

  @Test
  void aReadyTransitionRecordsAnEventAndAMessageThatOnlyMovesDoesNot() throws IOException {
    Given reconciler = new Given(Assessment.reconciling("Distributing", "verified on 0 of 2"));
    OSImage image = cached();
    image.setStatus(reconciler.reconcile(image, null).getResource().orElseThrow().getStatus());
    assertEquals(List.of("Normal Distributing: verified on 0 of 2"), reconciler.events);

    reconciler.assessment = Assessment.reconciling("Distributing", "verified on 1 of 2");
    image.setStatus(reconciler.reconcile(image, null).getResource().orElseThrow().getStatus());
    assertEquals(1, reconciler.events.size(), "the message moved, the reason did not");

    reconciler.assessment = Assessment.stalled("ChecksumMismatch", "node-a: got SHA-256 00");
    image.setStatus(reconciler.reconcile(image, null).getResource().orElseThrow().getStatus());
    reconciler.assessment = Assessment.ready("Distributed", "verified everywhere");
    reconciler.reconcile(image, null);
    assertEquals(
        List.of(
            "Normal Distributing: verified on 0 of 2",
            "Warning ChecksumMismatch: node-a: got SHA-256 00",
            "Normal Distributed: verified everywhere"),
        reconciler.events);
  }
}
