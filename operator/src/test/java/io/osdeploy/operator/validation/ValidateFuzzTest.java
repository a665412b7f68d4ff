package io.osdeploy.operator.validation;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.testing.Fuzzer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code validate} on mutated YAML (the samples, the known-bad samples and the documented examples,
 * cut, spliced and bit-flipped): it reports errors or says ok, and never throws or hangs.
 */
class ValidateFuzzTest {
  @TempDir Path dir;

  @Test
  void mutatedYamlIsReportedNeverThrown() throws Exception {
    List<byte[]> seeds = new ArrayList<>();
    for (Path folder :
        List.of(
            Path.of("../samples"), Path.of("../samples/invalid"), Path.of("../docs/examples"))) {
      try (Stream<Path> files = Files.list(folder)) {
        for (Path f : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
          seeds.add(Files.readAllBytes(f));
        }
      }
    }
    ValidateCommand validate =
        new ValidateCommand(
            ResourceValidator.forOsdeploy(), new PrintStream(OutputStream.nullOutputStream()));
    Path file = dir.resolve("fuzz.yaml");
    int[] outcomes = new int[2];
    Fuzzer.Report report =
        new Fuzzer("validate-yaml", seeds, 16_384)
            .run(
                Math.max(200, Fuzzer.budget() / 10),
                input -> {
                  Files.write(file, input);
                  outcomes[validate.run(file.toString())]++;
                });
    System.out.printf("validate: %d inputs ok, %d with errors%n", outcomes[0], outcomes[1]);
    assertTrue(outcomes[0] > 0 && outcomes[1] > 0, report.toString());
  }
}
