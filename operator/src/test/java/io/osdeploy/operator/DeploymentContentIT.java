package io.osdeploy.operator;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.osdeploy.api.v1alpha1.ConditionType;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec.Delivery;
import io.osdeploy.operator.testing.InvalidSample;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.TestCluster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every way a deployment's content cannot reach its machines stalls it with a message naming the
 * field and the objects, and fixing the spec recovers, against a real kube-apiserver.
 */
class DeploymentContentIT {
  @RegisterExtension
  static LocallyRunOperatorExtension operator = OperatorTests.operator(TestCluster.newClient());

  private final KubernetesClient client = TestCluster.client();

  private String ns() {
    return operator.getNamespace();
  }

  @AfterEach
  void deleteEverything() {
    OperatorTests.deleteAll(
        client, ns(), TaskSequenceDeployment.class, DistributionPoint.class, OSImage.class);
  }

  private <T extends HasMetadata> T sample(String file, Class<T> kind) throws IOException {
    try (InputStream in = Files.newInputStream(InvalidSample.SAMPLES.resolve(file))) {
      T item = client.resources(kind).load(in).item();
      item.getMetadata().setNamespace(ns());
      return item;
    }
  }

  private <T extends HasMetadata> void apply(T item) {
    OperatorTests.apply(client, ns(), "content-it", item);
  }

  private void expectDeployment(String type, String status, String reason, String inMessage) {
    TaskSequenceDeployment d =
        OperatorTests.awaitCondition(
            client,
            ns(),
            TaskSequenceDeployment.class,
            "win11-bare-metal",
            type,
            status,
            reason,
            () -> "");
    if (inMessage != null) {
      String message = d.getStatus().condition(type).orElseThrow().getMessage();
      assertTrue(message.contains(inMessage), message);
    }
  }

  @Test
  void eachContentProblemStallsTheDeploymentAndFixingItRecovers() throws IOException {
    OSImage image = sample("osimage.yaml", OSImage.class);
    DistributionPoint dp = sample("distributionpoint.yaml", DistributionPoint.class);
    TaskSequenceDeployment deployment =
        sample("tasksequencedeployment.yaml", TaskSequenceDeployment.class);

    // The distribution point does not hold the image.
    dp.getSpec().getOsImages().setNames(List.of("some-other-image"));
    apply(image);
    apply(dp);
    apply(deployment);
    expectDeployment(
        ConditionType.STALLED,
        "True",
        "ImageNotOnDistributionPoint",
        "spec.taskSequence.steps[1].applyOperatingSystem.osImage: OSImage win11-24h2 is not held"
            + " by DistributionPoint site-berlin (spec.distributionPoints[0])");
    dp.getSpec().getOsImages().setNames(List.of("win11-24h2"));
    apply(dp);
    expectDeployment(ConditionType.RECONCILING, "True", "WaitingForContent", null);

    // MulticastOnly delivery from a distribution point without multicast.
    deployment.getSpec().setDelivery(Delivery.MulticastOnly);
    dp.getSpec().getMulticast().setEnabled(false);
    apply(dp);
    apply(deployment);
    expectDeployment(
        ConditionType.STALLED,
        "True",
        "MulticastUnavailable",
        "spec.delivery: MulticastOnly needs multicast on DistributionPoint site-berlin");
    dp.getSpec().getMulticast().setEnabled(true);
    apply(dp);
    expectDeployment(ConditionType.RECONCILING, "True", "WaitingForContent", null);

    // Unicast delivery of an image that may only travel by multicast.
    image.getSpec().getMulticast().setMulticastOnly(true);
    deployment.getSpec().setDelivery(Delivery.Unicast);
    apply(image);
    apply(deployment);
    expectDeployment(
        ConditionType.STALLED,
        "True",
        "DeliveryConflict",
        "spec.delivery: Unicast cannot deliver OSImage win11-24h2, which is multicastOnly");
    deployment.getSpec().setDelivery(Delivery.MulticastPreferred);
    apply(deployment);
    expectDeployment(ConditionType.STALLED, "False", "NotStalled", null);
  }
}
