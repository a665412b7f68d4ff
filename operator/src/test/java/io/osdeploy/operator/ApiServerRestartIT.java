package io.osdeploy.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.NodeStatus;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OsdeployStatus;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.operator.local.MachinePolicy;
import io.osdeploy.operator.testing.DaemonProcess;
import io.osdeploy.operator.testing.OperatorProcess;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.RestartableControlPlane;
import io.osdeploy.operator.testing.SiteObjects;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kube-apiserver stopped for a while and started again, as in a control-plane upgrade: the
 * operator (its jar, as in its pod) and a distribution point's daemon stay up, reconnect, and act
 * on what is applied after it is back.
 */
class ApiServerRestartIT {
  private static final String DP = "site";
  private static final String BEFORE = "52:54:00:00:01:01";
  private static final String AFTER = "52:54:00:00:01:02";

  private static RestartableControlPlane plane;
  private static KubernetesClient client;

  @BeforeAll
  static void startControlPlane() throws Exception {
    plane = RestartableControlPlane.start();
    client = plane.client();
  }

  @AfterAll
  static void stopControlPlane() throws Exception {
    client.close();
    plane.close();
  }

  @Test
  void aShortOutageTheOperatorAndADaemonRideOutAndResyncAfter(@TempDir Path dir) throws Exception {
    outage(dir, "short", Duration.ofSeconds(5), false);
  }

  /**
   * Longer than the Lease's renew deadline: the operator cannot renew, stops leading and exits, as
   * client-go's controllers do, and the pod started again (by the kubelet, here by the test) takes
   * the lead once the API server is back.
   */
  @Test
  void aLongOutageTheOperatorExitsAndItsRestartResyncs(@TempDir Path dir) throws Exception {
    outage(dir, "long", Duration.ofSeconds(40), true);
  }

  private void outage(Path dir, String ns, Duration down, boolean outlastsLease) throws Exception {
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .create();
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, plane.kubeConfigYaml());
    Path volume = Files.createDirectories(dir.resolve("operator"));
    try (SiteObjects site = new SiteObjects(client, ns, "restart-it", 1024 * 1024 + 7);
        DaemonProcess daemon =
            DaemonProcess.start("node-a", ns, DP + "-daemon", kubeconfig, dir.resolve("node-a"))) {
      operator =
          OperatorProcess.startInCluster(
              plane.kubeConfigYaml(), volume, ns, "osdeploy-operator-5c7d", Map.of());
      site.image("first");
      site.distributionPoint(DP, "first");
      OperatorTests.rollOut(client, ns, DP + "-daemon", 1);
      awaitCondition(ns, DistributionPoint.class, DP, "ContentVerified", daemon);
      site.deployment("before", DP, "first", BEFORE);
      awaitCondition(ns, TaskSequenceDeployment.class, "before", "ContentReady", daemon);
      awaitPolicy(ns, BEFORE, 1);

      plane.restartApiServer(down);
      assertTrue(daemon.isAlive(), "the daemon rode out the outage\n" + daemon.log());
      if (outlastsLease) {
        Integer status = operator.awaitExit(60);
        assertEquals(1, status, "the operator exits when it cannot renew\n" + operator.log());
        assertTrue(operator.log().contains("lost the lead"), operator.log());
        operator =
            OperatorProcess.startInCluster(
                plane.kubeConfigYaml(), volume, ns, "osdeploy-operator-5c7d", Map.of());
      } else {
        assertTrue(operator.isAlive(), "the operator rode out the outage\n" + operator.log());
      }

      // A new image on the distribution point: the operator publishes it to the daemon, the daemon
      // fetches and reports it, and the operator rolls the report up.
      site.image("second");
      site.distributionPoint(DP, "first", "second");
      awaitCondition(ns, OSImage.class, "second", "Distributed", daemon);
      // A new deployment: reconciled, published, and served by the daemon for its machine.
      site.deployment("after", DP, "second", AFTER);
      awaitCondition(ns, TaskSequenceDeployment.class, "after", "ContentReady", daemon);
      awaitPolicy(ns, AFTER, 1);
      awaitPolicy(ns, BEFORE, 1);
      assertTrue(daemon.isAlive(), daemon.log());
      assertTrue(operator.isAlive(), operator.log());
    } finally {
      if (operator != null) {
        operator.close();
      }
    }
  }

  private OperatorProcess operator;

  private <T extends CustomResource<?, ? extends OsdeployStatus>> void awaitCondition(
      String ns, Class<T> kind, String name, String reason, DaemonProcess daemon) {
    OperatorTests.awaitCondition(
        client,
        ns,
        kind,
        name,
        "Ready",
        "True",
        reason,
        () -> "operator:\n" + tail(operator.log()) + "\ndaemon:\n" + tail(daemon.log()));
  }

  /**
   * Waits until the node serves {@code count} deployments to the PXE-booting machine {@code mac}.
   */
  private void awaitPolicy(String ns, String mac, int count) {
    Awaitility.await()
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () -> {
              NodeStatus node =
                  client
                      .resources(DistributionPoint.class)
                      .inNamespace(ns)
                      .withName(DP)
                      .get()
                      .getStatus()
                      .getNodes()
                      .get(0);
              String answer =
                  MachinePolicy.fetch(
                      HttpClient.newHttpClient(), node.getEndpoint(), "source=pxe&mac=" + mac);
              JsonNode policy = new ObjectMapper().readTree(answer);
              assertEquals(count, policy.path("deployments").size(), answer);
            });
  }

  private static String tail(String log) {
    return log.length() > 3000 ? log.substring(log.length() - 3000) : log;
  }
}
