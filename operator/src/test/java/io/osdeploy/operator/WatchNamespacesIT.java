package io.osdeploy.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.Operator;
import io.osdeploy.api.v1alpha1.Condition;
import io.osdeploy.api.v1alpha1.ConditionType;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.TestCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An operator told to watch one namespace (OSDEPLOY_WATCH_NAMESPACES) reports on resources there
 * and never looks at another: a resource in another namespace keeps the status a fresh resource
 * has, and the API server's audit log shows no request of the operator outside its namespace.
 */
class WatchNamespacesIT {
  private static final String USER_AGENT = "watch-namespaces-it-operator";

  private final KubernetesClient client = TestCluster.client();
  private final String suffix = UUID.randomUUID().toString().substring(0, 8);
  private final String watched = "watched-" + suffix;
  private final String other = "other-" + suffix;
  private final KubernetesClient operatorClient = TestCluster.newClient(USER_AGENT);
  private Operator operator;

  @AfterEach
  void stop() {
    if (operator != null) {
      operator.stop();
    }
    operatorClient.close();
    client.namespaces().withName(watched).delete();
    client.namespaces().withName(other).delete();
  }

  private OSImage image(String ns) {
    return client.resources(OSImage.class).inNamespace(ns).withName("win11-24h2").get();
  }

  @Test
  void aResourceOutsideTheWatchedNamespacesGetsNoStatus() throws Exception {
    OperatorTests.applyCrds(client);
    OperatorTests.createNamespaces(client, watched, other);
    operator =
        OsdeployOperator.create(
            operatorClient,
            OperatorTests.media().store(),
            OsdeployOperator.Options.DEFAULTS.withNamespaces(
                OperatorSettings.namespaces(
                    OperatorSettings.WATCH_NAMESPACES, " " + watched + " ,")));
    operator.start();

    String yaml = Files.readString(Path.of("..", "samples", "osimage.yaml"));
    // The other namespace's first, so it is older than the one the operator reports on.
    OperatorTests.apply(
        client, other, "watch-namespaces-it", Serialization.unmarshal(yaml, OSImage.class));
    OperatorTests.apply(
        client, watched, "watch-namespaces-it", Serialization.unmarshal(yaml, OSImage.class));

    await()
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () -> {
              OSImage seen = image(watched);
              assertEquals(
                  seen.getMetadata().getGeneration(), seen.getStatus().getObservedGeneration());
            });

    // Outside: the default status of the CRD, which says the operator has not seen it.
    OSImage unseen = image(other);
    assertNull(unseen.getStatus().getObservedGeneration(), "observedGeneration in " + other);
    Condition reconciling = unseen.getStatus().condition(ConditionType.RECONCILING).orElseThrow();
    assertEquals("NotObserved", reconciling.getReason());

    // Not by chance of timing: the operator never read, listed or watched outside its namespace.
    List<String> outside = new ArrayList<>();
    List<String> osdeployWatches = new ArrayList<>();
    for (String line : Files.readAllLines(TestCluster.auditLog())) {
      JsonNode event = new ObjectMapper().readTree(line);
      if (!USER_AGENT.equals(event.path("userAgent").asText())
          || !"ResponseComplete".equals(event.path("stage").asText())) {
        continue;
      }
      JsonNode ref = event.path("objectRef");
      String request =
          event.path("verb").asText()
              + " "
              + ref.path("resource").asText()
              + " in \""
              + ref.path("namespace").asText()
              + "\"";
      if ("osdeploy.io".equals(ref.path("apiGroup").asText())
          && Set.of("list", "watch").contains(event.path("verb").asText())) {
        osdeployWatches.add(request);
      }
      if (!ref.path("resource").asText().isEmpty()
          && !ref.path("resource").asText().equals("customresourcedefinitions")
          && !watched.equals(ref.path("namespace").asText())) {
        outside.add(request);
      }
    }
    assertTrue(
        osdeployWatches.size() >= 4,
        "the operator lists and watches its kinds: " + osdeployWatches);
    assertEquals(List.of(), outside, "requests of the operator outside " + watched);
  }
}
