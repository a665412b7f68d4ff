package io.osdeploy.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.BootableMediaSpec;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.TestCluster;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two operator replicas against a real kube-apiserver: one holds the Lease and reconciles; when it
 * stops, the other takes the Lease over and reconciles what comes next.
 */
class LeaderElectionIT {
  private final KubernetesClient client = TestCluster.client();
  private final String ns = "leader-it-" + UUID.randomUUID().toString().substring(0, 8);
  private final List<KubernetesClient> clients = new java.util.ArrayList<>();
  private Operator first;
  private Operator second;

  @AfterEach
  void stop() {
    for (Operator o : new Operator[] {first, second}) {
      if (o != null) {
        o.stop();
      }
    }
    clients.forEach(KubernetesClient::close);
    client.namespaces().withName(ns).delete();
  }

  private Operator replica(String identity) {
    KubernetesClient own = TestCluster.newClient();
    clients.add(own);
    // In production a replica that loses the lead exits; here it must not end the test JVM.
    return OsdeployOperator.create(
        own,
        OperatorTests.media().store(),
        new LeaderElectionConfiguration(
            OsdeployOperator.LEASE_NAME,
            ns,
            Duration.ofSeconds(6),
            Duration.ofSeconds(4),
            Duration.ofSeconds(1),
            identity,
            null,
            false));
  }

  private String holder() {
    Lease lease = client.leases().inNamespace(ns).withName(OsdeployOperator.LEASE_NAME).get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }

  private void awaitReconciled(String name) {
    BootableMedia media = new BootableMedia();
    media.getMetadata().setName(name);
    media.setSpec(new BootableMediaSpec());
    media.getSpec().setType(BootableMediaSpec.MediaType.Iso);
    media.getSpec().setBootServers(List.of("http://dp.test:9080"));
    OperatorTests.apply(client, ns, "leader-it", media);
    OperatorTests.awaitCondition(
        client,
        ns,
        BootableMedia.class,
        name,
        "Ready",
        "True",
        "Built",
        () -> "lease: " + holder());
  }

  @Test
  void oneReplicaLeadsAndTheOtherTakesOverWhenItStops() throws Exception {
    OperatorTests.applyCrds(client);
    OperatorTests.createNamespaces(client, ns);
    first = replica("replica-a");
    first.start();
    Awaitility.await().atMost(OperatorTests.TIMEOUT).until(() -> "replica-a".equals(holder()));
    second = replica("replica-b");
    second.start();
    awaitReconciled("usb-1");
    assertEquals("replica-a", holder(), "the first replica keeps the lead");

    first.stop();
    first = null;
    Awaitility.await().atMost(OperatorTests.TIMEOUT).until(() -> "replica-b".equals(holder()));
    awaitReconciled("usb-2");
    assertNotEquals("replica-a", holder());
  }
}
