package io.osdeploy.operator.metrics;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.osdeploy.api.v1alpha1.Condition;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.TestCluster;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The resource gauges against a real API server with the operator running: an OSImage is counted
 * under the Ready status the operator gives it, and leaves the counts when it is deleted.
 */
class ResourceGaugesIT {
  @RegisterExtension
  static LocallyRunOperatorExtension operator = OperatorTests.operator(TestCluster.newClient());

  private final KubernetesClient client = TestCluster.client();

  private static double gauge(PrometheusMeterRegistry registry, String kind, String ready) {
    return registry
        .find("osdeploy.resources")
        .tag("kind", kind)
        .tag("ready", ready)
        .gauge()
        .value();
  }

  private static double images(PrometheusMeterRegistry registry) {
    return ResourceGauges.READY.stream().mapToDouble(r -> gauge(registry, "OSImage", r)).sum();
  }

  @Test
  void anImageIsCountedUnderItsReadyStatusUntilItIsDeleted() {
    String ns = operator.getNamespace();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (ResourceGauges gauges = ResourceGauges.watch(client, Set.of(ns), registry)) {
      assertEquals(0, images(registry));
      String yaml =
          String.join(
              "\n",
              "apiVersion: osdeploy.io/v1alpha1",
              "kind: OSImage",
              "metadata: {name: counted}",
              "spec:",
              "  source: {url: 'http://127.0.0.1:9/counted.img'}",
              "  sha256: " + "e".repeat(64));
      for (HasMetadata item :
          client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
        client.resource(item).inNamespace(ns).create();
      }
      await("the image counted under the Ready status the operator gave it")
          .atMost(OperatorTests.TIMEOUT)
          .untilAsserted(
              () -> {
                OSImage image =
                    client.resources(OSImage.class).inNamespace(ns).withName("counted").get();
                String ready =
                    image.getStatus() == null
                        ? "Unknown"
                        : image.getStatus().getConditions().stream()
                            .filter(c -> "Ready".equals(c.getType()))
                            .map(Condition::getStatus)
                            .findFirst()
                            .orElse("Unknown");
                assertEquals(
                    "False", ready, "the operator judged it (no distribution point holds it)");
                assertEquals(1, gauge(registry, "OSImage", ready));
                assertEquals(1, images(registry));
              });
      client.resources(OSImage.class).inNamespace(ns).withName("counted").delete();
      await("the deleted image gone from the counts")
          .atMost(OperatorTests.TIMEOUT)
          .untilAsserted(() -> assertEquals(0, images(registry)));
    }
  }
}
