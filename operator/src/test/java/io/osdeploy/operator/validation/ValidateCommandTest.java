package io.osdeploy.operator.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.operator.testing.InvalidSample;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ValidateCommandTest {
  private static final ResourceValidator VALIDATOR = ResourceValidator.forOsdeploy();
  private static final Pattern LINE = Pattern.compile("^[^:]+:[0-9]+: .+$");

  private record Run(int status, List<String> lines) {}

  private static Run validate(String... paths) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int status =
        new ValidateCommand(VALIDATOR, new PrintStream(bytes, true, StandardCharsets.UTF_8))
            .run(paths);
    return new Run(status, bytes.toString(StandardCharsets.UTF_8).lines().toList());
  }

  @Test
  void acceptsEverySample() {
    Run run = validate(InvalidSample.SAMPLES.toString());
    assertEquals(0, run.status(), String.join("\n", run.lines()));
    assertEquals(List.of("ok: 4 resources in 6 files"), run.lines());
  }

  @Test
  void acceptsTheScenarioExamplesOfTheDocs() {
    Run run = validate(InvalidSample.SAMPLES.resolveSibling("docs").resolve("examples").toString());
    assertEquals(0, run.status(), String.join("\n", run.lines()));
    assertEquals(List.of("ok: 5 resources in 3 files"), run.lines());
  }

  static List<InvalidSample> invalidSamples() {
    return InvalidSample.all();
  }

  @ParameterizedTest
  @MethodSource("invalidSamples")
  void reportsTheExpectedErrorForEachInvalidSample(InvalidSample sample) {
    Run run = validate(sample.file().toString());
    assertEquals(1, run.status(), String.join("\n", run.lines()));
    List<String> errors = run.lines().subList(0, run.lines().size() - 1);
    assertEquals(1, errors.size(), "one error expected, got:\n" + String.join("\n", errors));
    String line = errors.get(0);
    assertTrue(LINE.matcher(line).matches(), line);
    assertTrue(line.startsWith(sample.file() + ":"), line);
    boolean matches =
        sample.rejectedBy().equals("yaml")
            ? line.contains(": " + sample.expect() + ": ")
            : line.endsWith(": " + sample.expect());
    assertTrue(matches, "expected '" + sample.expect() + "' in\n" + line);
  }

  @Test
  void pointsAtTheLineOfTheBadField() {
    Run run = validate(InvalidSample.DIR.resolve("osimage-bad-sha256.yaml").toString());
    assertTrue(run.lines().get(0).startsWith("../samples/invalid/osimage-bad-sha256.yaml:10: "));
  }

  @Test
  void reportsEveryInvalidSampleInOneRun() {
    Run run = validate(InvalidSample.DIR.toString());
    assertEquals(1, run.status());
    int files = InvalidSample.all().size();
    assertEquals(files + " errors in " + files + " files", run.lines().get(run.lines().size() - 1));
  }

  @Test
  void reportsEveryErrorOfOneDocumentAndKeepsCheckingTheOthers(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("two.yaml");
    Files.writeString(
        file,
        String.join(
            "\n",
            "apiVersion: osdeploy.io/v1alpha1",
            "kind: OSImage",
            "metadata:",
            "  name: first",
            "spec:",
            "  source:",
            "    url: gopher://x",
            "  sha256: nope",
            "---",
            "apiVersion: osdeploy.io/v1alpha1",
            "kind: BootableMedia",
            "metadata:",
            "  name: second",
            "spec:",
            "  type: Iso",
            "  deployment: d",
            "  colour: blue",
            ""));
    Run run = validate(file.toString());
    assertEquals(1, run.status());
    assertEquals(
        List.of(
            file
                + ":7: OSImage/first: spec.source.url: must match ^https?://[^\\s/?#]+[^\\s]*$"
                + " (got \"gopher://x\")",
            file + ":8: OSImage/first: spec.sha256: must match ^[0-9a-fA-F]{64}$ (got \"nope\")",
            file + ":17: BootableMedia/second: spec.colour: unknown field",
            "3 errors in 1 files"),
        run.lines());
  }

  @Test
  void namesAnUnservedVersion(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("v2.yaml");
    Files.writeString(
        file, "apiVersion: osdeploy.io/v2\nkind: OSImage\nmetadata:\n  name: x\nspec: {}\n");
    Run run = validate(file.toString());
    assertEquals(
        file
            + ":1: OSImage/x: apiVersion: version not served for OSImage; use one of"
            + " [osdeploy.io/v1alpha1]",
        run.lines().get(0));
  }

  @Test
  void aDigestOfOnlyDigitsIsToldToBeQuoted(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("digits.yaml");
    Files.writeString(
        file,
        "apiVersion: osdeploy.io/v1alpha1\nkind: OSImage\nmetadata:\n  name: x\nspec:\n"
            + "  source:\n    url: https://h/x\n  sha256: "
            + "1".repeat(64)
            + "\n");
    Run run = validate(file.toString());
    assertTrue(
        run.lines()
            .get(0)
            .startsWith(file + ":8: OSImage/x: spec.sha256: must be a string, but YAML"),
        run.lines().get(0));
    assertTrue(
        run.lines().get(0).endsWith("as a number: put the value in quotes"), run.lines().get(0));
  }

  @Test
  void skipsOtherApiGroups(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("cm.yaml");
    Files.writeString(file, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: {}\n");
    Run run = validate(file.toString());
    assertEquals(0, run.status());
    assertEquals(List.of("ok: 0 resources in 1 files"), run.lines());
  }

  @Test
  void malformedYamlGetsOneLineWithoutStackTrace(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, "kind: OSImage\nspec:\n  a: [1, 2\n");
    Run run = validate(file.toString());
    assertEquals(1, run.status());
    assertEquals(2, run.lines().size(), String.join("\n", run.lines()));
    assertTrue(run.lines().get(0).startsWith(file + ":4: malformed YAML: "), run.lines().get(0));
    assertFalse(run.lines().get(0).contains("Exception"));
  }

  @Test
  void aMissingPathIsAnError() {
    Run run = validate("/no/such/place");
    assertEquals(1, run.status());
    assertEquals("/no/such/place:1: no such file or folder", run.lines().get(0));
  }
}
