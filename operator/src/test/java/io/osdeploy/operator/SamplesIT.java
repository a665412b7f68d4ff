package io.osdeploy.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.osdeploy.api.v1alpha1.Condition;
import io.osdeploy.api.v1alpha1.ConditionType;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.operator.local.Crds;
import io.osdeploy.operator.local.Kustomization;
import io.osdeploy.operator.testing.InvalidSample;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.TestCluster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The samples against a real kube-apiserver with the CRDs the build generated. */
class SamplesIT {
  private static final String NS = "samples-it";
  private static KubernetesClient client;

  @BeforeAll
  static void installCrds() {
    client = TestCluster.client();
    Crds.install(client);
    client
        .resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
        .serverSideApply();
  }

  /** Other test classes install the CRDs their own way; leave the cluster without them. */
  @AfterAll
  static void removeCrds() {
    OperatorTests.removeCrds(client);
  }

  @Test
  void everySampleAppliesByServerSideApply() throws IOException {
    List<HasMetadata> applied = Kustomization.read(InvalidSample.SAMPLES).apply(client);
    assertEquals(
        List.of(
            "Namespace", "OSImage", "DistributionPoint", "TaskSequenceDeployment", "BootableMedia"),
        applied.stream().map(HasMetadata::getKind).toList());
    for (HasMetadata r : applied) {
      assertTrue(r.getMetadata().getUid() != null, r.getKind() + " stored");
    }
  }

  static List<InvalidSample> rejectedByApiServer() {
    return InvalidSample.all().stream().filter(s -> s.rejectedBy().equals("api-server")).toList();
  }

  @ParameterizedTest
  @MethodSource("rejectedByApiServer")
  void apiServerRejectsInvalidSampleNamingTheField(InvalidSample sample) throws IOException {
    KubernetesClientException e =
        assertThrows(
            KubernetesClientException.class,
            () -> {
              try (InputStream in = Files.newInputStream(sample.file())) {
                for (HasMetadata item : client.load(in).items()) {
                  item.getMetadata().setNamespace(NS);
                  client.resource(item).fieldManager("samples-it").serverSideApply();
                }
              }
            });
    // Server-side apply reports a field missing from the schema as 500 "field not declared in
    // schema"; every other rejection is 422 Invalid.
    assertTrue(
        e.getCode() == 422 || e.getMessage().contains("field not declared in schema"),
        e.getMessage());
    assertTrue(
        e.getMessage().contains(sample.field()),
        "API server message should name " + sample.field() + ":\n" + e.getMessage());
  }

  @Test
  void aFreshResourceReadsAsReconcilingUntilTheOperatorReports() throws IOException {
    // No operator runs in this test: what a GitOps tool sees right after it applies.
    try (InputStream in = Files.newInputStream(InvalidSample.SAMPLES.resolve("osimage.yaml"))) {
      OSImage image = client.resources(OSImage.class).load(in).item();
      image.getMetadata().setName("fresh");
      image.getMetadata().setNamespace(NS);
      client.resource(image).fieldManager("samples-it").serverSideApply();
    }
    OSImage fresh = client.resources(OSImage.class).inNamespace(NS).withName("fresh").get();
    Condition reconciling = fresh.getStatus().condition(ConditionType.RECONCILING).orElseThrow();
    assertEquals("True", reconciling.getStatus());
    assertEquals("NotObserved", reconciling.getReason());
    assertTrue(fresh.getStatus().condition(ConditionType.READY).isEmpty());
  }

  @Test
  void everyInvalidSampleSaysWhoRejectsIt() {
    for (InvalidSample s : InvalidSample.all()) {
      assertTrue(
          List.of("api-server", "operator", "yaml").contains(s.rejectedBy()),
          s + " " + s.rejectedBy());
    }
  }
}
