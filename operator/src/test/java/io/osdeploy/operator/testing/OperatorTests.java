package io.osdeploy.operator.testing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatusBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.osdeploy.api.v1alpha1.Condition;
import io.osdeploy.api.v1alpha1.OsdeployStatus;
import io.osdeploy.operator.OsdeployOperator;
import java.time.Duration;
import java.util.function.Supplier;

/** What the operator's integration tests share. */
public final class OperatorTests {
  public static final Duration TIMEOUT = Duration.ofSeconds(90);

  private OperatorTests() {}

  /**
   * The operator's four reconcilers, run by JOSDK's extension in one namespace per test class, with
   * a client of its own (the extension closes it when the class is done).
   */
  public static LocallyRunOperatorExtension operator(KubernetesClient client) {
    LocallyRunOperatorExtension.Builder builder = LocallyRunOperatorExtension.builder();
    OsdeployOperator.reconcilers().forEach(builder::withReconciler);
    return builder.withKubernetesClient(client).oneNamespacePerClass(true).build();
  }

  /**
   * Waits until the resource's condition {@code type} has {@code status} and {@code reason} for its
   * latest generation; {@code context} adds to the failure message.
   */
  public static <T extends CustomResource<?, ? extends OsdeployStatus>> T awaitCondition(
      KubernetesClient client,
      String namespace,
      Class<T> kind,
      String name,
      String type,
      String status,
      String reason,
      Supplier<String> context) {
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              T r = client.resources(kind).inNamespace(namespace).withName(name).get();
              assertNotNull(r, kind.getSimpleName() + "/" + name + " exists");
              assertNotNull(r.getStatus(), kind.getSimpleName() + "/" + name + " has a status");
              Condition c = r.getStatus().condition(type).orElseThrow();
              assertEquals(status, c.getStatus(), c + "\n" + context.get());
              assertEquals(reason, c.getReason(), c + "\n" + context.get());
              assertEquals(r.getMetadata().getGeneration(), r.getStatus().getObservedGeneration());
              assertEquals(r.getMetadata().getGeneration(), c.getObservedGeneration());
            });
    return client.resources(kind).inNamespace(namespace).withName(name).get();
  }

  /**
   * Writes what the DaemonSet controller would once {@code nodes} pods run the latest template: no
   * kubelet runs in these tests.
   */
  public static void rollOut(KubernetesClient client, String namespace, String name, int nodes) {
    DaemonSet ds =
        await()
            .atMost(TIMEOUT)
            .until(
                () -> client.apps().daemonSets().inNamespace(namespace).withName(name).get(),
                d -> d != null);
    ds.setStatus(
        new DaemonSetStatusBuilder()
            .withDesiredNumberScheduled(nodes)
            .withCurrentNumberScheduled(nodes)
            .withUpdatedNumberScheduled(nodes)
            .withNumberReady(nodes)
            .withNumberAvailable(nodes)
            .withNumberMisscheduled(0)
            .withObservedGeneration(ds.getMetadata().getGeneration())
            .build());
    client.resource(ds).updateStatus();
  }
}
