package io.osdeploy.operator.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.DistributionPointStatus;
import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.api.v1alpha1.NodeStatus;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OSImageSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class ContentReadinessTest {
  private static final String SHA = "a".repeat(64);

  private static OSImage image(String name) {
    OSImage image = new OSImage();
    image.getMetadata().setName(name);
    image.setSpec(new OSImageSpec());
    image.getSpec().setSha256(SHA);
    return image;
  }

  private static NodeStatus node(String name, ImageState... states) {
    NodeStatus n = new NodeStatus();
    n.setName(name);
    n.setImages(List.of(states));
    return n;
  }

  private static ImageState state(String image, String sha, ImageState.Phase phase) {
    return new ImageState(image, sha, phase);
  }

  private static DistributionPoint dp(String name, NodeStatus... nodes) {
    DistributionPoint dp = new DistributionPoint();
    dp.getMetadata().setName(name);
    dp.setStatus(new DistributionPointStatus());
    dp.getStatus().setNodes(List.of(nodes));
    return dp;
  }

  private static DaemonSet ds(long generation, Long observed, int desired, int updated, int ready) {
    return new DaemonSetBuilder()
        .withNewMetadata()
        .withGeneration(generation)
        .endMetadata()
        .withNewStatus()
        .withObservedGeneration(observed)
        .withDesiredNumberScheduled(desired)
        .withUpdatedNumberScheduled(updated)
        .withNumberReady(ready)
        .endStatus()
        .build();
  }

  @Test
  void aBootEnvironmentFileThatFailsItsCheckOnANodeKeepsTheDistributionPointFromReady() {
    DistributionPoint dp = dp("site", node("n1", state("a", SHA, ImageState.Phase.Verified)));
    dp.setSpec(new io.osdeploy.api.v1alpha1.DistributionPointSpec());
    var boot = new io.osdeploy.api.v1alpha1.DistributionPointSpec.BootEnvironment();
    boot.setKernelSha256("b".repeat(64));
    boot.setInitrdSha256("c".repeat(64));
    dp.getSpec().setBootEnvironment(boot);
    Assessment none = ContentReadiness.content(dp, List.of(image("a")), 1);
    assertEquals("PullingContent", none.reason());
    assertTrue(none.message().contains("n1: boot environment vmlinuz pending"), none.message());

    ImageState failed = state("initrd.img", "c".repeat(64), ImageState.Phase.Failed);
    failed.setReason(ImageState.CHECKSUM_MISMATCH);
    failed.setMessage("got SHA-256 ddd");
    dp.getStatus()
        .getNodes()
        .get(0)
        .setBootEnvironment(
            List.of(state("vmlinuz", "b".repeat(64), ImageState.Phase.Verified), failed));
    Assessment bad = ContentReadiness.content(dp, List.of(image("a")), 1);
    assertEquals("ChecksumMismatch", bad.reason());
    assertEquals(
        "n1: boot environment initrd.img: ChecksumMismatch (got SHA-256 ddd)", bad.message());

    // A state about other digests (the spec changed since) is no state at all.
    boot.setInitrdSha256("e".repeat(64));
    assertEquals("PullingContent", ContentReadiness.content(dp, List.of(image("a")), 1).reason());
    boot.setInitrdSha256("c".repeat(64));
    failed.setState(ImageState.Phase.Verified);
    failed.setReason(null);
    failed.setMessage(null);
    assertEquals("ContentVerified", ContentReadiness.content(dp, List.of(image("a")), 1).reason());
  }

  @Test
  void rolloutWaitsForTheControllerAndEveryNode() {
    DistributionPoint dp = dp("site");
    assertEquals("RollingOut", ContentReadiness.rollout(null).orElseThrow().reason());
    assertEquals("RollingOut", ContentReadiness.rollout(ds(2, 1L, 2, 2, 2)).orElseThrow().reason());
    assertEquals("NoNodes", ContentReadiness.rollout(ds(2, 2L, 0, 0, 0)).orElseThrow().reason());
    Assessment partly = ContentReadiness.rollout(ds(2, 2L, 3, 3, 2)).orElseThrow();
    assertEquals("daemon updated on 3 and ready on 2 of 3 nodes", partly.message());
    assertTrue(ContentReadiness.rollout(ds(2, 2L, 3, 3, 3)).isEmpty());
  }

  @Test
  void readyOnlyWhenEveryNodeHoldsEveryImageVerified() {
    OSImage a = image("a");
    OSImage b = image("b");
    DistributionPoint dp =
        dp(
            "site",
            node(
                "n1",
                state("a", SHA, ImageState.Phase.Verified),
                state("b", SHA, ImageState.Phase.Verified)),
            node(
                "n2",
                state("a", SHA, ImageState.Phase.Verified),
                state("b", SHA, ImageState.Phase.Downloading)));
    Assessment pulling = ContentReadiness.content(dp, List.of(a, b), 2);
    assertEquals(Assessment.State.RECONCILING, pulling.state());
    assertEquals("n2: OSImage b downloading", pulling.message());

    dp.getStatus()
        .getNodes()
        .get(1)
        .setImages(
            List.of(
                state("a", SHA, ImageState.Phase.Verified),
                state("b", SHA, ImageState.Phase.Verified)));
    Assessment ready = ContentReadiness.content(dp, List.of(a, b), 2);
    assertEquals(Assessment.State.READY, ready.state());
    assertEquals("ContentVerified", ready.reason());
  }

  @Test
  void aReportAboutAnOlderSha256CountsAsPending() {
    DistributionPoint dp =
        dp("site", node("n1", state("a", "b".repeat(64), ImageState.Phase.Verified)));
    Assessment a = ContentReadiness.content(dp, List.of(image("a")), 1);
    assertEquals("PullingContent", a.reason());
  }

  @Test
  void missingNodeReportsKeepItWaiting() {
    DistributionPoint dp = dp("site", node("n1", state("a", SHA, ImageState.Phase.Verified)));
    assertEquals("WaitingForNodes", ContentReadiness.content(dp, List.of(image("a")), 2).reason());
  }

  @Test
  void aChecksumMismatchStallsTheImageAndNamesDistributionPointAndNode() {
    ImageState bad = state("a", SHA, ImageState.Phase.Failed);
    bad.setReason(ImageState.CHECKSUM_MISMATCH);
    DistributionPoint dp = dp("berlin", node("n1", bad));
    Assessment image = ContentReadiness.image(image("a"), List.of(dp), List.of());
    assertEquals(Assessment.State.STALLED, image.state());
    assertEquals(ImageState.CHECKSUM_MISMATCH, image.reason());
    assertTrue(
        image.message().contains("DistributionPoint berlin, node n1: ChecksumMismatch"),
        image.message());
    Assessment point = ContentReadiness.content(dp, List.of(image("a")), 1);
    assertEquals(Assessment.State.RECONCILING, point.state());
    assertEquals(ImageState.CHECKSUM_MISMATCH, point.reason());
  }

  @Test
  void anUnreachableSourceIsReconcilingNotStalled() {
    ImageState down = state("a", SHA, ImageState.Phase.Failed);
    down.setReason(ImageState.SOURCE_UNREACHABLE);
    Assessment image =
        ContentReadiness.image(image("a"), List.of(dp("berlin", node("n1", down))), List.of());
    assertEquals(Assessment.State.RECONCILING, image.state());
    assertEquals(ImageState.SOURCE_UNREACHABLE, image.reason());
  }

  @Test
  void anImageNoDistributionPointHoldsIsNotAssigned() {
    assertEquals("NotAssigned", ContentReadiness.image(image("a"), List.of(), List.of()).reason());
  }
}
