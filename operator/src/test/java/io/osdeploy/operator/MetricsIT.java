package io.osdeploy.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.Operator;
import io.osdeploy.operator.media.BootFiles;
import io.osdeploy.operator.media.MediaServer;
import io.osdeploy.operator.metrics.OperatorMetrics;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.PrometheusText;
import io.osdeploy.operator.testing.TestCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The operator's Prometheus metrics, scraped from {@code GET /metrics} on its HTTP port while it
 * reconciles a site against a real kube-apiserver: reconciles started, succeeded and failed per
 * kind, their durations per controller, what is in flight and queued, and the JVM's own.
 */
class MetricsIT {
  private static final Map<String, String> CONTROLLERS =
      Map.of(
          "osimage", "OSImage",
          "distributionpoint", "DistributionPoint",
          "tasksequencedeployment", "TaskSequenceDeployment",
          "bootablemedia", "BootableMedia");

  private final KubernetesClient client = TestCluster.client();
  private final String ns = "metrics-it-" + UUID.randomUUID().toString().substring(0, 8);
  private final KubernetesClient operatorClient = TestCluster.newClient();
  private Operator operator;
  private MediaServer server;
  private io.osdeploy.operator.ops.OpsServer ops;

  @AfterEach
  void stop() {
    if (operator != null) {
      operator.stop();
    }
    if (ops != null) {
      ops.close();
    }
    if (server != null) {
      server.close();
    }
    operatorClient.close();
    client.namespaces().withName(ns).delete();
  }

  @Test
  void reconcilesOfEveryControllerShowAtMetrics() throws Exception {
    OperatorTests.applyCrds(client);
    OperatorTests.createNamespaces(client, ns);
    // A quota that admits no DaemonSet: the distribution point's reconcile fails (the API server
    // refuses its daemon), and keeps failing, as it would in a namespace whose quota is too small.
    ResourceQuota quota =
        client
            .resourceQuotas()
            .inNamespace(ns)
            .resource(
                new ResourceQuotaBuilder()
                    .withNewMetadata()
                    .withName("no-daemonsets")
                    .endMetadata()
                    .withNewSpec()
                    .addToHard("count/daemonsets.apps", new Quantity("0"))
                    .endSpec()
                    .build())
            .create();
    // No quota controller runs here: write the usage it would.
    quota.setStatus(
        new io.fabric8.kubernetes.api.model.ResourceQuotaStatusBuilder()
            .addToHard("count/daemonsets.apps", new Quantity("0"))
            .addToUsed("count/daemonsets.apps", new Quantity("0"))
            .build());
    client.resource(quota).updateStatus();

    OperatorMetrics metrics = OperatorMetrics.create();
    server =
        MediaServer.start(
            BootFiles.debian(),
            Files.createTempDirectory("metrics-it-media"),
            "127.0.0.1",
            0,
            "http://127.0.0.1");
    ops =
        io.osdeploy.operator.ops.OpsServer.start(
            "127.0.0.1", 0, metrics::scrape, OperatorMetrics.CONTENT_TYPE);
    operator =
        OsdeployOperator.create(
            operatorClient,
            server.store(),
            OsdeployOperator.Options.DEFAULTS
                .withNamespaces(java.util.Set.of(ns))
                .withMetrics(metrics));
    operator.start();

    for (String file :
        List.of(
            "osimage.yaml",
            "distributionpoint.yaml",
            "tasksequencedeployment.yaml",
            "bootablemedia.yaml")) {
      HasMetadata r = Serialization.unmarshal(Files.readString(Path.of("..", "samples", file)));
      OperatorTests.apply(client, ns, "metrics-it", r);
    }

    URI uri = URI.create("http://127.0.0.1:" + ops.address().getPort() + "/metrics");
    await()
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () -> {
              HttpResponse<String> response =
                  HttpClient.newHttpClient()
                      .send(
                          HttpRequest.newBuilder(uri).build(),
                          HttpResponse.BodyHandlers.ofString());
              assertEquals(200, response.statusCode());
              assertEquals(
                  OperatorMetrics.CONTENT_TYPE,
                  response.headers().firstValue("Content-Type").orElse(""));
              PrometheusText scrape = new PrometheusText(response.body());
              for (var c : CONTROLLERS.entrySet()) {
                String controller = c.getKey();
                Map<String, String> kind = Map.of("kind", c.getValue(), "group", "osdeploy.io");
                assertTrue(
                    scrape.sum("operator_sdk_reconciliations_started_total", kind) >= 1,
                    c.getValue() + " reconciles started");
                assertTrue(
                    scrape.sum(
                            "operator_sdk_controllers_execution_reconcile_seconds_count",
                            Map.of("controller", controller))
                        >= 1,
                    controller + " reconcile durations");
                // As a histogram, for histogram_quantile: the +Inf bucket holds every reconcile.
                assertEquals(
                    scrape.sum(
                        "operator_sdk_controllers_execution_reconcile_seconds_count",
                        Map.of("controller", controller)),
                    scrape.sum(
                        "operator_sdk_controllers_execution_reconcile_seconds_bucket",
                        Map.of("controller", controller, "le", "+Inf")),
                    controller + " reconcile duration histogram");
                // In flight and queued: gauges per controller, there from its registration on.
                assertEquals(
                    1,
                    scrape
                        .find("operator_sdk_reconciliations_executions_" + controller, kind)
                        .size(),
                    controller + " reconciles in flight");
                assertEquals(
                    1,
                    scrape
                        .find("operator_sdk_reconciliations_queue_size_" + controller, kind)
                        .size(),
                    controller + " reconciles queued");
              }
              for (String kind : List.of("OSImage", "TaskSequenceDeployment", "BootableMedia")) {
                assertTrue(
                    scrape.sum("operator_sdk_reconciliations_success_total", Map.of("kind", kind))
                        >= 1,
                    kind + " reconciles succeeded");
              }
              // The distribution point's daemon is refused by the quota: its reconciles fail.
              assertTrue(
                  scrape.sum(
                          "operator_sdk_reconciliations_failed_total",
                          Map.of("kind", "DistributionPoint"))
                      >= 1,
                  "failed DistributionPoint reconciles");
              assertTrue(
                  scrape.sum(
                          "operator_sdk_controllers_execution_reconcile_failure_total",
                          Map.of("controller", "distributionpoint"))
                      >= 1,
                  "failed distributionpoint executions");
              assertFalse(scrape.find("jvm_memory_used_bytes", Map.of()).isEmpty(), "JVM");
              // Per kind, never per resource: no series names a resource.
              assertTrue(
                  scrape.all().stream()
                      .noneMatch(
                          s ->
                              s.labels().containsValue("win11-24h2")
                                  || s.labels().containsValue("site-berlin")),
                  "no series per resource");
            });
  }
}
