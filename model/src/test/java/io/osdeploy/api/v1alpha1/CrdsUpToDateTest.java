package io.osdeploy.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** {@code crds/} must hold exactly what the build generates from the model. */
class CrdsUpToDateTest {
  private static final Path GENERATED = Path.of("target", "classes", "META-INF", "fabric8");
  private static final Path COMMITTED = Path.of("..", "crds");
  private static final String HOW_TO_FIX =
      "crds/ is stale: run `mvn -Pupdate-crds -pl model process-classes` and commit crds/";

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith("-v1.yml"))
          .sorted()
          .toList();
    }
  }

  @Test
  void committedCrdsMatchTheGeneratedOnes() throws IOException {
    List<String> generated = names(GENERATED);
    assertEquals(4, generated.size(), "the build generates one CRD per kind");
    assertEquals(generated, names(COMMITTED), HOW_TO_FIX);
    for (String name : generated) {
      assertEquals(
          Files.readString(GENERATED.resolve(name)),
          Files.readString(COMMITTED.resolve(name)),
          name + ": " + HOW_TO_FIX);
    }
  }
}
