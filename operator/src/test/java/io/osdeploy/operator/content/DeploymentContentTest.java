package io.osdeploy.operator.content;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.DistributionPointMulticast;
import io.osdeploy.api.v1alpha1.DistributionPointSpec;
import io.osdeploy.api.v1alpha1.DistributionPointStatus;
import io.osdeploy.api.v1alpha1.ImageMulticast;
import io.osdeploy.api.v1alpha1.ImageSelection;
import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.api.v1alpha1.NodeStatus;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OSImageSpec;
import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.api.v1alpha1.TaskSequence;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec.Delivery;
import io.osdeploy.operator.status.Assessment;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeploymentContentTest {
  private static final String SHA = "c".repeat(64);

  private static OSImage image(Boolean allowed, Boolean multicastOnly) {
    OSImage image = new OSImage();
    image.getMetadata().setName("win11");
    image.getMetadata().setNamespace("site");
    image.setSpec(new OSImageSpec());
    image.getSpec().setSha256(SHA);
    ImageMulticast m = new ImageMulticast();
    m.setAllowed(allowed);
    m.setMulticastOnly(multicastOnly);
    image.getSpec().setMulticast(m);
    return image;
  }

  private static DistributionPoint dp(boolean holds, boolean multicast, boolean verified) {
    DistributionPoint dp = new DistributionPoint();
    dp.getMetadata().setName("berlin");
    dp.getMetadata().setNamespace("site");
    dp.setSpec(new DistributionPointSpec());
    ImageSelection selection = new ImageSelection();
    selection.setNames(holds ? List.of("win11") : List.of("other"));
    dp.getSpec().setOsImages(selection);
    DistributionPointMulticast m = new DistributionPointMulticast();
    m.setEnabled(multicast);
    dp.getSpec().setMulticast(m);
    dp.setStatus(new DistributionPointStatus());
    NodeStatus node = new NodeStatus();
    node.setName("n1");
    node.setImages(
        List.of(
            new ImageState(
                "win11",
                SHA,
                verified ? ImageState.Phase.Verified : ImageState.Phase.Downloading)));
    dp.getStatus().setNodes(List.of(node));
    return dp;
  }

  private static TaskSequenceDeployment deployment(Delivery delivery) {
    Step step = new Step();
    step.setName("apply");
    step.setApplyOperatingSystem(new Step.ApplyOperatingSystem());
    step.getApplyOperatingSystem().setOsImage("win11");
    TaskSequence ts = new TaskSequence();
    ts.setSteps(List.of(step));
    TaskSequenceDeployment d = new TaskSequenceDeployment();
    d.getMetadata().setName("d");
    d.setSpec(new TaskSequenceDeploymentSpec());
    d.getSpec().setTaskSequence(ts);
    d.getSpec().setDistributionPoints(List.of("berlin"));
    d.getSpec().setDelivery(delivery);
    return d;
  }

  private static Assessment assess(Delivery delivery, OSImage image, DistributionPoint dp) {
    return DeploymentContent.assess(
        deployment(delivery), Map.of("win11", image), Map.of("berlin", dp));
  }

  /** The deployment's one step, and a step that fetches package {@code drivers} from the DPs. */
  private static TaskSequenceDeployment withDriverPackage(String packageImage) {
    TaskSequenceDeployment d = deployment(Delivery.MulticastPreferred);
    Step drivers = new Step();
    drivers.setName("drivers");
    drivers.setApplyDriverPackage(new Step.Content());
    drivers.getApplyDriverPackage().setOsImage(packageImage);
    d.getSpec()
        .getTaskSequence()
        .setSteps(List.of(d.getSpec().getTaskSequence().getSteps().get(0), drivers));
    return d;
  }

  private static OSImage packageImage(String name, OSImageSpec.Format format) {
    OSImage image = image(null, null);
    image.getMetadata().setName(name);
    image.getSpec().setFormat(format);
    return image;
  }

  @Test
  void aNullStepInAFileIsLeftToTheSchemaCheck() {
    TaskSequenceDeployment d = deployment(Delivery.MulticastPreferred);
    java.util.ArrayList<Step> steps =
        new java.util.ArrayList<>(d.getSpec().getTaskSequence().getSteps());
    steps.add(null);
    d.getSpec().getTaskSequence().setSteps(steps);
    assertEquals(1, DeploymentContent.uses(d).size());
    assertEquals(
        List.of(), DeploymentContent.windowsStepOrder(d, Map.of("win11", image(null, null))));
  }

  @Test
  void aPackageNotOnTheDistributionPointsStallsTheDeploymentLikeAnImage() {
    // The DP holds win11 (verified) but not the driver package.
    Assessment a =
        DeploymentContent.assess(
            withDriverPackage("drivers"),
            Map.of(
                "win11",
                image(null, null),
                "drivers",
                packageImage("drivers", OSImageSpec.Format.Package)),
            Map.of("berlin", dp(true, true, true)));
    assertEquals(Assessment.State.STALLED, a.state());
    assertEquals("ImageNotOnDistributionPoint", a.reason());
    assertTrue(
        a.message()
            .contains(
                "spec.taskSequence.steps[1].applyDriverPackage.osImage: OSImage drivers is not held"
                    + " by DistributionPoint berlin"),
        a.message());
  }

  @Test
  void aWindowsImageNeedsTheWindowsLayoutBeforeItAndSettingsNeedTheImage() {
    OSImage wim = packageImage("win11", OSImageSpec.Format.Wim);
    Step settings = new Step();
    settings.setName("settings");
    settings.setApplyWindowsSettings(new Step.ApplyWindowsSettings());
    TaskSequenceDeployment d = deployment(Delivery.MulticastPreferred);
    Step apply = d.getSpec().getTaskSequence().getSteps().get(0);
    Step join = new Step();
    join.setName("join");
    join.setJoinDomain(new Step.JoinDomain());
    d.getSpec().getTaskSequence().setSteps(List.of(settings, apply, settings, join));
    Assessment a =
        DeploymentContent.assess(d, Map.of("win11", wim), Map.of("berlin", dp(true, true, true)));
    assertEquals(Assessment.State.STALLED, a.state());
    assertEquals("WindowsStepOrder", a.reason());
    assertTrue(
        a.message()
            .contains(
                "spec.taskSequence.steps[0].applyWindowsSettings: no Windows image (format Wim)"
                    + " is applied before this step"),
        a.message());
    assertTrue(
        a.message()
            .contains(
                "spec.taskSequence.steps[1].applyOperatingSystem.osImage: OSImage win11 is a"
                    + " Windows image (format Wim): a partitionDisk step with layout Windows must"
                    + " come before it"),
        a.message());
    assertTrue(
        !a.message().contains("steps[2]") && !a.message().contains("steps[3]"),
        "settings and a join after the image are fine: " + a.message());
    d.getSpec().getTaskSequence().setSteps(List.of(join, apply));
    Assessment early =
        DeploymentContent.assess(d, Map.of("win11", wim), Map.of("berlin", dp(true, true, true)));
    assertTrue(
        early
            .message()
            .contains(
                "spec.taskSequence.steps[0].joinDomain: no Windows image (format Wim) is applied"
                    + " before this step"),
        early.message());

    Step partition = new Step();
    partition.setName("partition");
    partition.setPartitionDisk(new Step.PartitionDisk());
    partition.getPartitionDisk().setLayout(Step.PartitionDisk.Layout.Windows);
    d.getSpec().getTaskSequence().setSteps(List.of(partition, apply, settings));
    assertEquals(
        Assessment.State.READY,
        DeploymentContent.assess(d, Map.of("win11", wim), Map.of("berlin", dp(true, true, true)))
            .state());

    // An image that does not exist yet is judged once it does, and so are the settings after it.
    d.getSpec().getTaskSequence().setSteps(List.of(apply, settings));
    assertTrue(
        DeploymentContent.windowsStepOrder(d, Map.of()).isEmpty(),
        DeploymentContent.windowsStepOrder(d, Map.of()).toString());
    d.getSpec().getTaskSequence().setSteps(List.of(partition, apply, settings));

    // The same sequence with an image of another format has no Windows settings to apply.
    assertEquals(
        "WindowsStepOrder",
        DeploymentContent.assess(
                d, Map.of("win11", image(null, null)), Map.of("berlin", dp(true, true, true)))
            .reason());
  }

  @Test
  void aPackageStepNamesAPackageAndAnOsStepNamesNone() {
    Assessment notAPackage =
        DeploymentContent.assess(
            withDriverPackage("win11"),
            Map.of("win11", image(null, null)),
            Map.of("berlin", dp(true, true, true)));
    assertEquals("WrongImageFormat", notAPackage.reason());
    assertTrue(
        notAPackage
            .message()
            .contains(
                "spec.taskSequence.steps[1].applyDriverPackage.osImage: OSImage win11 is not a"
                    + " Package"),
        notAPackage.message());
    Assessment aPackage =
        assess(
            Delivery.MulticastPreferred,
            packageImage("win11", OSImageSpec.Format.Package),
            dp(true, true, true));
    assertEquals("WrongImageFormat", aPackage.reason());
    assertTrue(aPackage.message().contains("is a Package"), aPackage.message());
  }

  @Test
  void readyWhenVerifiedEverywhere() {
    Assessment a = assess(Delivery.MulticastPreferred, image(null, null), dp(true, true, true));
    assertEquals(Assessment.State.READY, a.state());
    assertEquals("ContentReady", a.reason());
  }

  @Test
  void waitsForContentThatIsStillDownloading() {
    Assessment a = assess(Delivery.MulticastPreferred, image(null, null), dp(true, true, false));
    assertEquals("WaitingForContent", a.reason());
    assertEquals(Assessment.State.RECONCILING, a.state());
  }

  @Test
  void anImageTheDistributionPointDoesNotHoldStalls() {
    Assessment a = assess(Delivery.MulticastPreferred, image(null, null), dp(false, true, false));
    assertEquals(Assessment.State.STALLED, a.state());
    assertEquals("ImageNotOnDistributionPoint", a.reason());
    assertTrue(
        a.message()
            .startsWith(
                "spec.taskSequence.steps[0].applyOperatingSystem.osImage: OSImage win11 is not held"
                    + " by DistributionPoint berlin (spec.distributionPoints[0])"),
        a.message());
  }

  @Test
  void multicastOnlyNeedsMulticastOnTheDistributionPointAndTheImage() {
    Assessment noDp = assess(Delivery.MulticastOnly, image(null, null), dp(true, false, true));
    assertEquals("MulticastUnavailable", noDp.reason());
    assertTrue(noDp.message().contains("multicast on DistributionPoint berlin"), noDp.message());
    Assessment noImage = assess(Delivery.MulticastOnly, image(false, null), dp(true, true, true));
    assertEquals("MulticastUnavailable", noImage.reason());
    assertTrue(noImage.message().contains("OSImage win11 to allow multicast"), noImage.message());
  }

  @Test
  void unicastCannotDeliverAMulticastOnlyImage() {
    Assessment a = assess(Delivery.Unicast, image(true, true), dp(true, true, true));
    assertEquals(Assessment.State.STALLED, a.state());
    assertEquals("DeliveryConflict", a.reason());
    assertTrue(a.message().startsWith("spec.delivery: Unicast cannot deliver OSImage win11"));
  }
}
