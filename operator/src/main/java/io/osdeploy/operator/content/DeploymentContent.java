package io.osdeploy.operator.content;

import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.ImageMulticast;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OSImageSpec;
import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec.Delivery;
import io.osdeploy.operator.status.Assessment;
import io.osdeploy.operator.status.ContentReadiness;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Whether a deployment's content can reach its machines: each OS image and each package its steps
 * name held by each of the deployment's distribution points, deliverable the way the deployment
 * asks, and verified there.
 */
public final class DeploymentContent {
  private DeploymentContent() {}

  /**
   * An OSImage a step names: the image it applies, or the package it fetches from the distribution
   * points.
   *
   * @param field the step's field that names it, for messages
   * @param asPackage whether the step fetches it as a package
   */
  public record ImageUse(String field, String image, boolean asPackage) {}

  /** Every OSImage the deployment's steps name, in step order. */
  public static List<ImageUse> uses(TaskSequenceDeployment deployment) {
    List<ImageUse> uses = new ArrayList<>();
    if (deployment.getSpec() == null
        || deployment.getSpec().getTaskSequence() == null
        || deployment.getSpec().getTaskSequence().getSteps() == null) {
      return uses;
    }
    List<Step> steps = deployment.getSpec().getTaskSequence().getSteps();
    for (int i = 0; i < steps.size(); i++) {
      Step step = steps.get(i);
      if (step == null) {
        continue; // a null list item in a file: the schema check names it
      }
      String prefix = "spec.taskSequence.steps[" + i + "].";
      if (step.getApplyOperatingSystem() != null) {
        uses.add(
            new ImageUse(
                prefix + "applyOperatingSystem.osImage",
                step.getApplyOperatingSystem().getOsImage(),
                false));
      }
      if (step.getApplyDriverPackage() != null
          && step.getApplyDriverPackage().getOsImage() != null) {
        uses.add(
            new ImageUse(
                prefix + "applyDriverPackage.osImage",
                step.getApplyDriverPackage().getOsImage(),
                true));
      }
      if (step.getInstallPackage() != null && step.getInstallPackage().getOsImage() != null) {
        uses.add(
            new ImageUse(
                prefix + "installPackage.osImage", step.getInstallPackage().getOsImage(), true));
      }
    }
    return uses;
  }

  /**
   * Assesses the deployment's content, given the OS images and distribution points it names that
   * exist (by name).
   */
  public static Assessment assess(
      TaskSequenceDeployment deployment,
      Map<String, OSImage> images,
      Map<String, DistributionPoint> dps) {
    Delivery delivery = deployment.getSpec().delivery();
    List<String> stalled = new ArrayList<>();
    String stalledReason = null;
    List<String> waiting = new ArrayList<>();
    List<String> dpNames = deployment.getSpec().getDistributionPoints();
    for (ImageUse use : uses(deployment)) {
      String field = use.field();
      OSImage image = images.get(use.image());
      if (image == null) {
        continue;
      }
      String imageName = "OSImage " + image.getMetadata().getName();
      boolean isPackage = image.getSpec().format() == OSImageSpec.Format.Package;
      if (use.asPackage() != isPackage) {
        stalledReason = stalledReason == null ? "WrongImageFormat" : stalledReason;
        stalled.add(
            field
                + ": "
                + imageName
                + (isPackage
                    ? " is a Package (spec.format), not an operating system to apply"
                    : " is not a Package (spec.format: " + image.getSpec().format() + ")"));
        continue;
      }
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
    List<StepProblem> order = windowsStepOrder(deployment, images);
    if (!order.isEmpty()) {
      stalledReason = stalledReason == null ? "WindowsStepOrder" : stalledReason;
      order.forEach(p -> stalled.add(p.path() + ": " + p.message()));
    }
    if (!stalled.isEmpty()) {
      return Assessment.stalled(stalledReason, String.join("; ", stalled));
    }
    if (!waiting.isEmpty()) {
      return Assessment.reconciling("WaitingForContent", String.join("; ", waiting));
    }
    return Assessment.ready(
        "ContentReady",
        "every OS image and package is verified on every node of every distribution point of the"
            + " deployment");
  }

  /**
   * What the agent would refuse on every machine, said before any machine starts: a Windows image
   * (format Wim) applied without a partitionDisk step with layout Windows before it, or to a
   * destination; Windows settings without a Windows image applied before them. Images that do not
   * exist yet are judged once they do.
   */
  public static List<StepProblem> windowsStepOrder(
      TaskSequenceDeployment deployment, Map<String, OSImage> images) {
    List<StepProblem> problems = new ArrayList<>();
    List<Step> steps = deployment.getSpec().getTaskSequence().getSteps();
    boolean windowsLayout = false;
    boolean windowsApplied = false;
    for (int i = 0; i < steps.size(); i++) {
      Step step = steps.get(i);
      if (step == null) {
        continue; // a null list item in a file: the schema check names it
      }
      if (step.getPartitionDisk() != null) {
        windowsLayout = step.getPartitionDisk().getLayout() == Step.PartitionDisk.Layout.Windows;
        windowsApplied = false;
      }
      Step.ApplyOperatingSystem apply = step.getApplyOperatingSystem();
      if (apply != null) {
        OSImage image = images.get(apply.getOsImage());
        if (image == null) {
          // Not there yet: judged once it is, and what follows it is not judged before.
          windowsApplied = true;
          continue;
        }
        boolean wim = image.getSpec().format() == OSImageSpec.Format.Wim;
        if (wim && apply.getDestination() != null) {
          problems.add(
              new StepProblem(
                  i,
                  "applyOperatingSystem.destination",
                  "OSImage "
                      + apply.getOsImage()
                      + " is a Windows image (format Wim), applied to the Windows layout's"
                      + " partition, never to a destination"));
        } else if (wim && !windowsLayout) {
          problems.add(
              new StepProblem(
                  i,
                  "applyOperatingSystem.osImage",
                  "OSImage "
                      + apply.getOsImage()
                      + " is a Windows image (format Wim): a partitionDisk step with layout"
                      + " Windows must come before it"));
        }
        windowsApplied = wim;
      }
      String windowsOnly =
          step.getApplyWindowsSettings() != null
              ? "applyWindowsSettings"
              : step.getJoinDomain() != null ? "joinDomain" : null;
      if (windowsOnly != null && !windowsApplied) {
        problems.add(
            new StepProblem(
                i, windowsOnly, "no Windows image (format Wim) is applied before this step"));
      }
    }
    return problems;
  }

  /** A step's field and what is wrong with it. */
  public record StepProblem(int step, String field, String message) {
    /** The field's path in the deployment, as conditions and validate name it. */
    public String path() {
      return "spec.taskSequence.steps[" + step + "]." + field;
    }
  }

  private static boolean multicastEnabled(DistributionPoint dp) {
    return dp.getSpec().getMulticast() != null
        && Boolean.TRUE.equals(dp.getSpec().getMulticast().getEnabled());
  }
}
