package io.osdeploy.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.operator.status.ResourceEvents;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.TestCluster;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Kubernetes Events, as {@code kubectl describe} shows them, against a real API server: a
 * transition of Ready is recorded once, the same event again only counts up, and an idle minute
 * records nothing. (The deployment's first failure and its end are in {@code EndToEndDeploymentIT};
 * content verified on each node in {@code DistributionPointNodesIT}.)
 */
class EventsIT {
  @RegisterExtension
  static LocallyRunOperatorExtension operator = OperatorTests.operator(TestCluster.newClient());

  private final KubernetesClient client = TestCluster.client();

  @Test
  void transitionsAreRecordedOnceRepeatsCountUpAndAnIdleMinuteRecordsNothing() throws Exception {
    String ns = operator.getNamespace();
    client
        .load(
            new ByteArrayInputStream(
                String.join(
                        "\n",
                        "apiVersion: osdeploy.io/v1alpha1",
                        "kind: BootableMedia",
                        "metadata: {name: site-cd}",
                        "spec:",
                        "  type: Iso",
                        "  bootServers: ['http://10.0.0.5:9080']")
                    .getBytes(StandardCharsets.UTF_8)))
        .inNamespace(ns)
        .create();
    BootableMedia media =
        OperatorTests.awaitCondition(
            client, ns, BootableMedia.class, "site-cd", "Ready", "True", "Built", () -> "");
    Event built = OperatorTests.awaitEvent(client, ns, "site-cd", "Built", "served at");
    assertEquals("Normal", built.getType());
    assertEquals("BootableMedia", built.getInvolvedObject().getKind());
    assertEquals(media.getMetadata().getUid(), built.getInvolvedObject().getUid());

    ResourceEvents.record(client, media, ResourceEvents.NORMAL, "Repeated", "the same story");
    ResourceEvents.record(client, media, ResourceEvents.NORMAL, "Repeated", "the same story");
    List<Event> repeated =
        OperatorTests.events(client, ns, "site-cd").stream()
            .filter(e -> "Repeated".equals(e.getReason()))
            .toList();
    assertEquals(1, repeated.size(), "one event for the same story");
    assertEquals(2, repeated.get(0).getCount(), "counted twice");

    Map<String, Integer> before = counts(ns);
    Thread.sleep(60_000);
    assertEquals(before, counts(ns), "an idle minute records no event");
  }

  private Map<String, Integer> counts(String ns) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .collect(
            Collectors.toMap(
                e -> e.getMetadata().getName(), e -> e.getCount() == null ? 1 : e.getCount()));
  }
}
