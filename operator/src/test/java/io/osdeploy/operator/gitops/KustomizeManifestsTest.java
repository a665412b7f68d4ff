package io.osdeploy.operator.gitops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * deploy/ takes the CRDs from crds/ through crds/kustomization.yaml, so there is no copy to go
 * stale; the one thing to keep up is that list, which must name every generated CRD.
 */
class KustomizeManifestsTest {
  private static final Path CRDS = Path.of("..", "crds");
  private static final Path DEPLOY = Path.of("..", "deploy");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @Test
  void crdsKustomizationListsEveryGeneratedCrd() throws IOException {
    List<String> files;
    try (Stream<Path> list = Files.list(CRDS)) {
      files =
          list.map(p -> p.getFileName().toString())
              .filter(n -> n.endsWith("-v1.yml"))
              .sorted()
              .toList();
    }
    assertEquals(4, files.size(), "one CRD per kind in crds/");
    assertEquals(
        files, resources(CRDS).stream().sorted().toList(), "crds/kustomization.yaml resources");
  }

  @Test
  void deployTakesTheCrdsFromCrdsAndInstallsIntoItsOwnNamespace() throws IOException {
    assertTrue(resources(DEPLOY).contains("../crds"), "deploy/ includes ../crds");
    JsonNode k = YAML.readTree(DEPLOY.resolve("kustomization.yaml").toFile());
    assertEquals("osdeploy-system", k.path("namespace").asText());
  }

  private static List<String> resources(Path dir) throws IOException {
    JsonNode k = YAML.readTree(dir.resolve("kustomization.yaml").toFile());
    List<String> out = new ArrayList<>();
    k.path("resources").forEach(r -> out.add(r.asText()));
    return out;
  }
}
