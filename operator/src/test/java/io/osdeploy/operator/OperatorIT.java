package io.osdeploy.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.ConditionType;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OsdeployStatus;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.operator.testing.InvalidSample;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.TestCluster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The operator, run locally by JOSDK's extension, against a real kube-apiserver. */
class OperatorIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final Map<String, Class<? extends CustomResource<?, ? extends OsdeployStatus>>>
      KINDS =
          Map.of(
              "OSImage", OSImage.class,
              "DistributionPoint", DistributionPoint.class,
              "TaskSequenceDeployment", TaskSequenceDeployment.class,
              "BootableMedia", BootableMedia.class);

  @RegisterExtension
  static LocallyRunOperatorExtension operator = OperatorTests.operator(TestCluster.newClient());

  /** Tests share the class's namespace: each starts from an empty one. */
  @AfterEach
  void deleteEverything() {
    OperatorTests.deleteAll(
        client(),
        operator.getNamespace(),
        BootableMedia.class,
        TaskSequenceDeployment.class,
        DistributionPoint.class,
        OSImage.class);
  }

  private KubernetesClient client() {
    return operator.getKubernetesClient();
  }

  private List<HasMetadata> apply(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      List<HasMetadata> items = client().load(in).items();
      items.forEach(i -> i.getMetadata().setNamespace(operator.getNamespace()));
      return items.stream()
          .map(i -> client().resource(i).fieldManager("operator-it").serverSideApply())
          .toList();
    }
  }

  private <T extends CustomResource<?, ? extends OsdeployStatus>> T awaitCondition(
      Class<T> kind, String name, String type, String status, String reason) {
    return OperatorTests.awaitCondition(
        client(), operator.getNamespace(), kind, name, type, status, reason, () -> "");
  }

  @Test
  void everySampleIsObservedAndReportsWhereItStands() throws IOException {
    for (String f :
        List.of(
            "osimage.yaml",
            "distributionpoint.yaml",
            "tasksequencedeployment.yaml",
            "bootablemedia.yaml")) {
      apply(InvalidSample.SAMPLES.resolve(f));
    }
    // No kubelet runs here: the DaemonSet never rolls out, so content cannot arrive.
    awaitCondition(
        DistributionPoint.class, "site-berlin", ConditionType.RECONCILING, "True", "RollingOut");
    awaitCondition(OSImage.class, "win11-24h2", ConditionType.RECONCILING, "True", "Distributing");
    awaitCondition(
        TaskSequenceDeployment.class,
        "win11-bare-metal",
        ConditionType.RECONCILING,
        "True",
        "WaitingForContent");
    BootableMedia media =
        awaitCondition(
            BootableMedia.class, "berlin-bare-metal-usb", ConditionType.READY, "True", "Built");
    assertEquals(
        "False", media.getStatus().condition(ConditionType.STALLED).orElseThrow().getStatus());
    assertEquals(
        "False", media.getStatus().condition(ConditionType.RECONCILING).orElseThrow().getStatus());
  }

  @Test
  void deploymentWaitsForItsImageThenForItsContent() throws IOException {
    apply(InvalidSample.SAMPLES.resolve("distributionpoint.yaml"));
    apply(InvalidSample.SAMPLES.resolve("tasksequencedeployment.yaml"));
    TaskSequenceDeployment waiting =
        awaitCondition(
            TaskSequenceDeployment.class,
            "win11-bare-metal",
            ConditionType.RECONCILING,
            "True",
            "WaitingForReferences");
    String message =
        waiting.getStatus().condition(ConditionType.RECONCILING).orElseThrow().getMessage();
    assertTrue(
        message.contains("spec.taskSequence.steps[1].applyOperatingSystem.osImage"), message);
    assertEquals(
        "False", waiting.getStatus().condition(ConditionType.STALLED).orElseThrow().getStatus());

    apply(InvalidSample.SAMPLES.resolve("osimage.yaml"));
    TaskSequenceDeployment content =
        awaitCondition(
            TaskSequenceDeployment.class,
            "win11-bare-metal",
            ConditionType.RECONCILING,
            "True",
            "WaitingForContent");
    assertEquals(
        "OSImage win11-24h2 is not yet verified on every node of DistributionPoint site-berlin",
        content.getStatus().condition(ConditionType.RECONCILING).orElseThrow().getMessage());
  }

  @Test
  void invalidSamplesTheOperatorCatchesAreStalledNamingTheField() throws IOException {
    for (InvalidSample sample : InvalidSample.all()) {
      if (!sample.rejectedBy().equals("operator")) {
        continue;
      }
      HasMetadata applied = apply(sample.file()).get(0);
      Class<? extends CustomResource<?, ? extends OsdeployStatus>> kind =
          KINDS.get(applied.getKind());
      var stalled =
          awaitCondition(
              kind, applied.getMetadata().getName(), ConditionType.STALLED, "True", "InvalidSpec");
      String message =
          stalled.getStatus().condition(ConditionType.STALLED).orElseThrow().getMessage();
      assertTrue(message.contains(sample.expect()), sample + ": " + message);
    }
  }

  @Test
  void statusStaysPutOnceSettled() throws IOException {
    apply(InvalidSample.SAMPLES.resolve("osimage.yaml"));
    OSImage settled =
        awaitCondition(
            OSImage.class, "win11-24h2", ConditionType.RECONCILING, "True", "NotAssigned");
    String version = settled.getMetadata().getResourceVersion();
    // No write loop: once the status says where the image stands, nothing rewrites it.
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertEquals(
                    version,
                    operator.get(OSImage.class, "win11-24h2").getMetadata().getResourceVersion()));
  }
}
