package io.osdeploy.operator.status;

import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatus;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.DistributionPointSpec.BootEnvironment;
import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.api.v1alpha1.NodeStatus;
import io.osdeploy.api.v1alpha1.OSImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * How far content has got: a distribution point is Ready when its daemon runs on every node and
 * every node holds every assigned image verified; an image is Ready when every distribution point
 * that is to hold it does.
 */
public final class ContentReadiness {
  private ContentReadiness() {}

  /** Reasons a node's copy failed that only a change to the OSImage's spec (or source) fixes. */
  static boolean needsSpecChange(String reason) {
    return ImageState.CHECKSUM_MISMATCH.equals(reason) || ImageState.SIZE_MISMATCH.equals(reason);
  }

  /** The rollout of the daemon's DaemonSet, or empty when it is complete. */
  public static Optional<Assessment> rollout(DaemonSet ds) {
    if (ds == null || ds.getStatus() == null) {
      return Optional.of(
          Assessment.reconciling("RollingOut", "the daemon's DaemonSet is being created"));
    }
    DaemonSetStatus s = ds.getStatus();
    long generation =
        ds.getMetadata().getGeneration() == null ? 0 : ds.getMetadata().getGeneration();
    int desired = n(s.getDesiredNumberScheduled());
    if (s.getObservedGeneration() == null || s.getObservedGeneration() < generation) {
      return Optional.of(
          Assessment.reconciling(
              "RollingOut", "the DaemonSet controller has not yet seen the latest daemon spec"));
    }
    if (desired == 0) {
      return Optional.of(
          Assessment.reconciling(
              "NoNodes", "no node matches spec.nodeSelector (or tolerates its taints)"));
    }
    int updated = n(s.getUpdatedNumberScheduled());
    int ready = n(s.getNumberReady());
    if (updated < desired || ready < desired) {
      return Optional.of(
          Assessment.reconciling(
              "RollingOut",
              "daemon updated on "
                  + updated
                  + " and ready on "
                  + ready
                  + " of "
                  + desired
                  + " nodes"));
    }
    return Optional.empty();
  }

  /** Every assigned image on every reporting node, given the rollout is complete. */
  public static Assessment content(DistributionPoint dp, List<OSImage> assigned, int desiredNodes) {
    List<NodeStatus> nodes = dp.getStatus() == null ? List.of() : dp.getStatus().getNodes();
    if (nodes.size() < desiredNodes) {
      return Assessment.reconciling(
          "WaitingForNodes",
          nodes.size() + " of " + desiredNodes + " nodes have reported their content");
    }
    List<String> failed = new ArrayList<>();
    List<String> failReasons = new ArrayList<>();
    List<String> pending = new ArrayList<>();
    BootEnvironment boot = dp.getSpec() == null ? null : dp.getSpec().getBootEnvironment();
    for (NodeStatus node : nodes) {
      for (OSImage image : assigned) {
        classify(
            node.getName() + ": OSImage " + image.getMetadata().getName(),
            stateOf(node, image),
            failed,
            failReasons,
            pending);
      }
      if (boot != null) {
        for (String[] file :
            new String[][] {
              {"vmlinuz", boot.getKernelSha256()}, {"initrd.img", boot.getInitrdSha256()}
            }) {
          classify(
              node.getName() + ": boot environment " + file[0],
              bootStateOf(node, file[0], file[1]),
              failed,
              failReasons,
              pending);
        }
      }
    }
    if (!failed.isEmpty()) {
      String reason = failReasons.stream().filter(r -> r != null).findFirst().orElse(null);
      return Assessment.reconciling(
          reason == null ? "ContentFailed" : reason, String.join("; ", failed));
    }
    if (!pending.isEmpty()) {
      return Assessment.reconciling("PullingContent", String.join("; ", pending));
    }
    return Assessment.ready(
        "ContentVerified",
        "daemon ready on "
            + nodes.size()
            + (nodes.size() == 1 ? " node; " : " nodes; ")
            + assigned.size()
            + (assigned.size() == 1 ? " image" : " images")
            + " verified on every node");
  }

  /** Adds {@code state} of the content {@code where} names to the failed or pending lists. */
  private static void classify(
      String where,
      ImageState state,
      List<String> failed,
      List<String> failReasons,
      List<String> pending) {
    if (state == null) {
      pending.add(where + " pending");
    } else if (state.getState() == ImageState.Phase.Failed) {
      failReasons.add(state.getReason());
      failed.add(
          where
              + ": "
              + state.getReason()
              + (state.getMessage() == null ? "" : " (" + state.getMessage() + ")"));
    } else if (state.getState() != ImageState.Phase.Verified) {
      pending.add(where + " " + progress(state));
    }
  }

  /** The node's state of a boot environment file for {@code sha256}; one for another is none. */
  static ImageState bootStateOf(NodeStatus node, String file, String sha256) {
    String sha = sha256 == null ? "" : sha256.toLowerCase(Locale.ROOT);
    return node.getBootEnvironment().stream()
        .filter(s -> file.equals(s.getName()))
        .filter(s -> s.getSha256() == null || sha.equals(s.getSha256().toLowerCase(Locale.ROOT)))
        .findFirst()
        .orElse(null);
  }

  /** An OS image across the distribution points that are to hold it. */
  public static Assessment image(
      OSImage image, List<DistributionPoint> targeting, List<String> verifiedOn) {
    if (targeting.isEmpty()) {
      return Assessment.reconciling(
          "NotAssigned",
          "no DistributionPoint holds this image (spec.osImages of a DistributionPoint selects it)");
    }
    List<String> failedNeedsSpec = new ArrayList<>();
    List<String> failedOther = new ArrayList<>();
    String specReason = null;
    String otherReason = null;
    for (DistributionPoint dp : targeting) {
      List<NodeStatus> nodes = dp.getStatus() == null ? List.of() : dp.getStatus().getNodes();
      for (NodeStatus node : nodes) {
        ImageState state = stateOf(node, image);
        if (state != null && state.getState() == ImageState.Phase.Failed) {
          String line =
              "DistributionPoint "
                  + dp.getMetadata().getName()
                  + ", node "
                  + node.getName()
                  + ": "
                  + state.getReason()
                  + (state.getMessage() == null ? "" : " (" + state.getMessage() + ")");
          if (needsSpecChange(state.getReason())) {
            specReason = specReason == null ? state.getReason() : specReason;
            failedNeedsSpec.add(line);
          } else {
            otherReason = otherReason == null ? state.getReason() : otherReason;
            failedOther.add(line);
          }
        }
      }
    }
    if (!failedNeedsSpec.isEmpty()) {
      return Assessment.stalled(
          specReason,
          "check spec.sha256, spec.sizeBytes and spec.source.url: "
              + String.join("; ", failedNeedsSpec));
    }
    if (!failedOther.isEmpty()) {
      return Assessment.reconciling(otherReason, String.join("; ", failedOther));
    }
    if (verifiedOn.size() < targeting.size()) {
      return Assessment.reconciling(
          "Distributing",
          "verified on " + verifiedOn.size() + " of " + targeting.size() + " distribution points");
    }
    return Assessment.ready(
        "Distributed",
        targeting.size() == 1
            ? "verified on the one distribution point that holds it"
            : "verified on all " + targeting.size() + " distribution points that hold it");
  }

  /**
   * True when every node of {@code dp} (as many as it should have) holds {@code image} verified.
   */
  public static boolean verifiedEverywhere(DistributionPoint dp, OSImage image) {
    if (dp.getStatus() == null || dp.getStatus().getNodes().isEmpty()) {
      return false;
    }
    Integer desired = dp.getStatus().getDesiredNodes();
    List<NodeStatus> nodes = dp.getStatus().getNodes();
    if (desired != null && nodes.size() < desired) {
      return false;
    }
    return nodes.stream().allMatch(n -> verified(n, image));
  }

  /** True when {@code node} holds {@code image}, at its current SHA-256, verified. */
  public static boolean verified(NodeStatus node, OSImage image) {
    ImageState s = stateOf(node, image);
    return s != null && s.getState() == ImageState.Phase.Verified;
  }

  /** The node's state for the image's current SHA-256; a state about an older SHA-256 is none. */
  static ImageState stateOf(NodeStatus node, OSImage image) {
    String sha = image.getSpec().getSha256().toLowerCase(Locale.ROOT);
    return node.getImages().stream()
        .filter(s -> image.getMetadata().getName().equals(s.getName()))
        .filter(s -> s.getSha256() == null || sha.equals(s.getSha256().toLowerCase(Locale.ROOT)))
        .findFirst()
        .orElse(null);
  }

  private static String progress(ImageState s) {
    String phase = s.getState().name().toLowerCase(Locale.ROOT);
    if (s.getBytes() != null && s.getTotalBytes() != null && s.getTotalBytes() > 0) {
      return phase + " " + (100 * s.getBytes() / s.getTotalBytes()) + "%";
    }
    return phase;
  }

  private static int n(Integer value) {
    return value == null ? 0 : value;
  }
}
