package io.osdeploy.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.operator.testing.OperatorProcess;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.TestCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The operator's jar, run as in its pod, stopped the way Kubernetes stops a pod: SIGTERM. It must
 * end by itself (a pod that does not is killed when its grace period runs out) and hand the
 * leader-election Lease over, so that the next pod leads at once rather than after the Lease
 * expires.
 */
class GracefulShutdownIT {
  private final KubernetesClient client = TestCluster.client();
  private final String ns = "shutdown-it-" + UUID.randomUUID().toString().substring(0, 8);
  private OperatorProcess operator;

  @AfterEach
  void cleanUp() {
    if (operator != null) {
      operator.close();
    }
    client.namespaces().withName(ns).delete();
  }

  private Lease lease() {
    return client.leases().inNamespace(ns).withName(LeaderLease.NAME).get();
  }

  @Test
  void sigtermEndsTheProcessAndReleasesTheLease() throws Exception {
    OperatorTests.applyCrds(client);
    OperatorTests.createNamespaces(client, ns);
    operator = OperatorProcess.startInCluster(ns, "osdeploy-operator-7d9f", Map.of());
    OperatorProcess running = operator;

    // It leads, is ready, and reconciles.
    await()
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () -> {
              assertTrue(running.isAlive(), running.log());
              Lease lease = lease();
              assertNotNull(lease, "the Lease exists");
              assertTrue(
                  lease.getSpec().getHolderIdentity().startsWith("osdeploy-operator-7d9f-"),
                  "held by the pod: " + lease.getSpec().getHolderIdentity());
              assertEquals(200, running.get("/readyz"));
            });
    OSImage image =
        Serialization.unmarshal(
            Files.readString(Path.of("..", "samples", "osimage.yaml")), OSImage.class);
    OperatorTests.apply(client, ns, "shutdown-it", image);
    await()
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () -> {
              OSImage current =
                  client
                      .resources(OSImage.class)
                      .inNamespace(ns)
                      .withName(image.getMetadata().getName())
                      .get();
              assertEquals(
                  current.getMetadata().getGeneration(),
                  current.getStatus().getObservedGeneration(),
                  "the operator reported on the image\n" + running.log());
            });

    operator.terminate();
    // A bound for a hang, not a timing: the kubelet would SIGKILL after 30 s.
    Integer status = operator.awaitExit(60);
    assertNotNull(status, "the process ends by itself after SIGTERM\n" + operator.log());
    assertEquals(143, status, "the JVM's status after SIGTERM (128 + 15)\n" + operator.log());
    Lease lease = lease();
    String holder = lease.getSpec().getHolderIdentity();
    assertTrue(
        holder == null || holder.isEmpty(),
        "the Lease has no holder, so the next pod leads at once: " + holder);
    assertTrue(operator.log().contains("released the Lease"), operator.log());
  }
}
