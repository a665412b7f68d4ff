package io.osdeploy.operator.local;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The four CRDs, as the build generated them from the model (and as {@code crds/} holds them). */
public final class Crds {
  public static final List<String> NAMES =
      List.of(
          "osimages.osdeploy.io",
          "distributionpoints.osdeploy.io",
          "tasksequencedeployments.osdeploy.io",
          "bootablemedias.osdeploy.io");

  private Crds() {}

  public static List<CustomResourceDefinition> load() {
    List<CustomResourceDefinition> crds = new ArrayList<>();
    for (String name : NAMES) {
      String path = "/META-INF/fabric8/" + name + "-v1.yml";
      try (InputStream in = Crds.class.getResourceAsStream(path)) {
        if (in == null) {
          throw new IllegalStateException("CRD missing from the classpath: " + path);
        }
        crds.add(Serialization.unmarshal(in, CustomResourceDefinition.class));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return crds;
  }

  /** Server-side applies every CRD and waits until the API server serves each one. */
  public static void install(KubernetesClient client) {
    for (CustomResourceDefinition crd : load()) {
      crd.getMetadata().setManagedFields(null);
      client.resource(crd).fieldManager("osdeploy").forceConflicts().serverSideApply();
    }
    for (String name : NAMES) {
      client
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .withName(name)
          .waitUntilCondition(Crds::established, 60, TimeUnit.SECONDS);
    }
  }

  private static boolean established(CustomResourceDefinition crd) {
    return crd != null
        && crd.getStatus() != null
        && crd.getStatus().getConditions() != null
        && crd.getStatus().getConditions().stream()
            .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
  }
}
