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
    for (InvalidSample sample : InvalidSample.all()) {
      assertTrue(
          run.lines().stream()
              .anyMatch(l -> l.startsWith(sample.file() + ":") && l.contains(sample.expect())),
          sample.file() + ": " + sample.expect());
    }
    // Read together, the samples also reference images and distribution points none of them
    // defines, and two of them have overlapping multicast ranges: those are reported too.
    assertTrue(
        run.lines().get(run.lines().size() - 1).endsWith(" errors in " + files + " files"),
        run.lines().get(run.lines().size() - 1));
  }

  private static Path write(Path dir, String name, String... lines) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, String.join("\n", lines) + "\n");
    return file;
  }

  private static String[] dp(String name, String start, String end, int port) {
    return new String[] {
      "apiVersion: osdeploy.io/v1alpha1",
      "kind: DistributionPoint",
      "metadata: {name: " + name + "}",
      "spec:",
      "  multicast:",
      "    enabled: true",
      "    addressRange: {start: " + start + ", end: " + end + "}",
      "    portRange: {start: " + port + ", end: " + (port + 9) + "}"
    };
  }

  @Test
  void aWindowsImageWithoutTheWindowsLayoutBeforeItIsAnError(@TempDir Path dir) throws IOException {
    write(
        dir,
        "windows.yaml",
        "apiVersion: osdeploy.io/v1alpha1",
        "kind: OSImage",
        "metadata: {name: win11}",
        "spec:",
        "  source: {url: 'https://images.example.com/install.wim'}",
        "  sha256: 3f8a1c7e9b2d4a6f8e0c1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a",
        "  format: Wim",
        "---",
        "apiVersion: osdeploy.io/v1alpha1",
        "kind: TaskSequenceDeployment",
        "metadata: {name: rollout}",
        "spec:",
        "  taskSequence:",
        "    steps:",
        "      - {name: Partition, partitionDisk: {layout: Uefi}}",
        "      - {name: Apply, applyOperatingSystem: {osImage: win11}}",
        "      - {name: Settings, applyWindowsSettings: {timeZone: UTC}}",
        "  target: {machines: [{name: desk, mac: '52:54:00:00:00:01'}]}",
        "  distributionPoints: [berlin]",
        "  availability: ClientsMediaAndPxe");

    Run run = validate(dir.toString());

    assertEquals(1, run.status(), run.lines().toString());
    assertEquals(
        List.of(
            dir.resolve("windows.yaml")
                + ":16: TaskSequenceDeployment/rollout:"
                + " spec.taskSequence.steps[1].applyOperatingSystem.osImage: OSImage win11 is a"
                + " Windows image (format Wim): a partitionDisk step with layout Windows must"
                + " come before it",
            "1 error in 1 file"),
        run.lines());
  }

  @Test
  void acrossTheFilesOverlappingMulticastRangesAndMissingReferencesAreErrors(@TempDir Path dir)
      throws IOException {
    write(dir, "a.yaml", dp("berlin", "239.1.0.1", "239.1.0.9", 40000));
    write(dir, "b.yaml", dp("paris", "239.1.0.5", "239.1.0.20", 40005));
    write(dir, "c.yaml", dp("rome", "239.1.0.5", "239.1.0.20", 41000));
    write(
        dir,
        "d.yaml",
        "apiVersion: osdeploy.io/v1alpha1",
        "kind: OSImage",
        "metadata: {name: win11}",
        "spec:",
        "  source: {url: 'https://images.example.com/win11.img'}",
        "  sha256: 3f8a1c7e9b2d4a6f8e0c1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a");
    write(
        dir,
        "e.yaml",
        "apiVersion: osdeploy.io/v1alpha1",
        "kind: TaskSequenceDeployment",
        "metadata: {name: rollout}",
        "spec:",
        "  taskSequence:",
        "    steps:",
        "      - {name: Apply, applyOperatingSystem: {osImage: win10}}",
        "      - {name: Other, applyOperatingSystem: {osImage: win11}}",
        "  target: {machines: [{name: desk, mac: '52:54:00:00:00:01'}]}",
        "  distributionPoints: [berlin, madrid]",
        "  availability: ClientsMediaAndPxe");

    Run run = validate(dir.toString());

    assertEquals(1, run.status());
    assertEquals(
        List.of(
            dir.resolve("b.yaml")
                + ":7: DistributionPoint/paris: spec.multicast.addressRange: addressRange and"
                + " portRange overlap with those of DistributionPoint berlin ("
                + dir.resolve("a.yaml")
                + ":7): two sites would send on the same groups and ports",
            dir.resolve("e.yaml")
                + ":7: TaskSequenceDeployment/rollout:"
                + " spec.taskSequence.steps[0].applyOperatingSystem.osImage: no OSImage win10 in"
                + " the files given",
            dir.resolve("e.yaml")
                + ":10: TaskSequenceDeployment/rollout: spec.distributionPoints[1]: no"
                + " DistributionPoint madrid in the files given",
            "3 errors in 5 files"),
        run.lines(),
        "rome's ports differ: no overlap");
    assertEquals(0, validate(dir.resolve("e.yaml").toString()).status(), "alone, nothing to miss");
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
            "3 errors in 1 file"),
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
    assertEquals(List.of("ok: 0 resources in 1 file"), run.lines());
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

  private static Run validateWith(Path kubectl, String stdin, String... paths) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int status =
        new ValidateCommand(
                VALIDATOR,
                new PrintStream(bytes, true, StandardCharsets.UTF_8),
                kubectl,
                new java.io.ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)))
            .run(paths);
    return new Run(status, bytes.toString(StandardCharsets.UTF_8).lines().toList());
  }

  @Test
  void aDashReadsStandardInput() throws IOException {
    String image = Files.readString(InvalidSample.SAMPLES.resolve("osimage.yaml"));
    assertEquals(List.of("ok: 1 resource in 1 file"), validateWith(null, image, "-").lines());
    Run bad = validateWith(null, image.replace("sha256: 3f8a", "sha256: zz8a"), "-");
    assertEquals(1, bad.status());
    assertTrue(
        bad.lines().get(0).startsWith("-:10: OSImage/win11-24h2: spec.sha256: "),
        bad.lines().toString());
  }

  /** A kustomization that patches the samples' image to a bad digest. */
  private static Path patching(Path dir) throws IOException {
    Files.writeString(
        dir.resolve("kustomization.yaml"),
        String.join(
            "\n",
            "resources: [image.yaml]",
            "patches:",
            "  - target: {kind: OSImage}",
            "    patch: |-",
            "      - {op: replace, path: /spec/sha256, value: not-a-digest}",
            ""));
    Files.copy(InvalidSample.SAMPLES.resolve("osimage.yaml"), dir.resolve("image.yaml"));
    return dir;
  }

  @Test
  void aKustomizationBeyondAResourceListIsRefusedWithoutKubectlNotHalfRead(@TempDir Path dir)
      throws IOException {
    Run run = validateWith(null, "", patching(dir).toString());
    assertEquals(1, run.status());
    assertTrue(run.lines().get(0).contains("kustomization: uses patches"), run.lines().toString());
    assertTrue(run.lines().get(0).contains("validate -"), "says what to do instead");
  }

  @Test
  void aKustomizationBeyondAResourceListIsRenderedByKubectl(@TempDir Path dir) throws IOException {
    Path kubectl = kubectlOfTheTestBinaries();
    Run run = validateWith(kubectl, "", patching(dir).toString());
    assertEquals(1, run.status(), run.lines().toString());
    assertTrue(
        run.lines()
            .get(0)
            .matches(".* \\(kubectl kustomize\\):\\d+: OSImage/win11-24h2: spec.sha256: .*"),
        "the patched value is what is checked: " + run.lines());
  }

  /** The kubectl that scripts/k8s-test-binaries.sh builds beside kube-apiserver. */
  private static Path kubectlOfTheTestBinaries() throws IOException {
    Path root = Path.of(System.getProperty("user.home"), ".kubeapitest", "k8s");
    Path found = null;
    if (Files.isDirectory(root)) {
      try (var versions = Files.list(root)) {
        found =
            versions
                .map(v -> v.resolve("kubectl"))
                .filter(Files::isExecutable)
                .findFirst()
                .orElse(null);
      }
    }
    io.osdeploy.operator.testing.Prerequisites.require(
        found != null, "kubectl from scripts/k8s-test-binaries.sh under " + root);
    return found;
  }
}
