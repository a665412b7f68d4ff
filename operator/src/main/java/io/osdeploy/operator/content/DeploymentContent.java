package io.osdeploy.operator.content;

import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.ImageMulticast;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec.Delivery;
import io.osdeploy.operator.status.Assessment;
import io.osdeploy.operator.status.ContentReadiness;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Whether a deployment's images can reach its machines: each image held by each of the deployment's
 * distribution points, deliverable the way the deployment asks, and verified there.
 */
public final class DeploymentContent {
  private DeploymentContent() {}

  /**
   * Assesses the deployment's content, given the OS images and distribution points it names that
   * exist (by name).
   */
  public static Assessment assess(
      TaskSequenceDeployment deployment,
      Map<String, OSImage> images,
      Map<String, DistributionPoint> dps) {
    Delivery delivery =
        deployment.getSpec().getDelivery() == null
            ? Delivery.MulticastPreferred
            : deployment.getSpec().getDelivery();
    List<String> stalled = new ArrayList<>();
    String stalledReason = null;
    List<String> waiting = new ArrayList<>();
    List<Step> steps = deployment.getSpec().getTaskSequence().getSteps();
    List<String> dpNames = deployment.getSpec().getDistributionPoints();
    for (int i = 0; i < steps.size(); i++) {
      if (steps.get(i).getApplyOperatingSystem() == null) {
        continue;
      }
      String field = "spec.taskSequence.steps[" + i + "].applyOperatingSystem.osImage";
      OSImage image = images.get(steps.get(i).getApplyOperatingSystem().getOsImage());
      if (image == null) {
        continue;
      }
      String imageName = "OSImage " + image.getMetadata().getName();
      ImageMulticast m = image.getSpec().getMulticast();
      if (delivery == Delivery.Unicast && ImageMulticast.multicastOnly(m)) {
        stalledReason = stalledReason == null ? "DeliveryConflict" : stalledReason;
        stalled.add(
            "spec.delivery: Unicast cannot deliver "
                + imageName
                + ", which is multicastOnly ("
                + field
                + ")");
      }
      if (delivery == Delivery.MulticastOnly && !ImageMulticast.allowed(m)) {
        stalledReason = stalledReason == null ? "MulticastUnavailable" : stalledReason;
        stalled.add(
            "spec.delivery: MulticastOnly needs "
                + imageName
                + " to allow multicast (its spec.multicast.allowed is false)");
      }
      for (int j = 0; j < dpNames.size(); j++) {
        DistributionPoint dp = dps.get(dpNames.get(j));
        if (dp == null) {
          continue;
        }
        String dpName = "DistributionPoint " + dp.getMetadata().getName();
        if (!ImageAssignment.holds(dp, image)) {
          stalledReason = stalledReason == null ? "ImageNotOnDistributionPoint" : stalledReason;
          stalled.add(
              field
                  + ": "
                  + imageName
                  + " is not held by "
                  + dpName
                  + " (spec.distributionPoints["
                  + j
                  + "]); add it to the DistributionPoint's spec.osImages");
          continue;
        }
        if (delivery == Delivery.MulticastOnly && !multicastEnabled(dp)) {
          stalledReason = stalledReason == null ? "MulticastUnavailable" : stalledReason;
          stalled.add(
              "spec.delivery: MulticastOnly needs multicast on "
                  + dpName
                  + " (its spec.multicast.enabled is not true)");
        }
        if (!ContentReadiness.verifiedEverywhere(dp, image)) {
          waiting.add(imageName + " is not yet verified on every node of " + dpName);
        }
      }
    }
    if (!stalled.isEmpty()) {
      return Assessment.stalled(stalledReason, String.join("; ", stalled));
    }
    if (!waiting.isEmpty()) {
      return Assessment.reconciling("WaitingForContent", String.join("; ", waiting));
    }
    return Assessment.ready(
        "ContentReady",
        "every OS image is verified on every node of every distribution point of the deployment");
  }

  private static boolean multicastEnabled(DistributionPoint dp) {
    return dp.getSpec().getMulticast() != null
        && Boolean.TRUE.equals(dp.getSpec().getMulticast().getEnabled());
  }
}
