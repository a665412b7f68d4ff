package io.osdeploy.operator.gitops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.osdeploy.operator.testing.Prerequisites;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What kstatus, the library behind Flux's health checks and kubectl's status tooling, makes of
 * every state our resources go through. The verdicts come from the real library
 * (sigs.k8s.io/cli-utils, built by {@code scripts/kstatus-tool.sh}), not from our reading of its
 * rules.
 */
class KstatusConformanceTest {
  private static final Path TOOL_SCRIPT = Path.of("..", "scripts", "kstatus-tool.sh");
  private static final Path CRDS = Path.of("..", "crds");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> FIXTURES =
      List.of(
          "osimage-healthy.json",
          "osimage-progressing.json",
          "osimage-not-observed.json",
          "distributionpoint-healthy.json",
          "distributionpoint-degraded.json",
          "tasksequencedeployment-healthy.json",
          "tasksequencedeployment-stalled.json",
          "bootablemedia-healthy.json",
          "bootablemedia-reconciling.json");

  private static Path tool;

  private record Verdict(String status, String message) {}

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "osimage-healthy.json, Current",
    "distributionpoint-healthy.json, Current",
    "tasksequencedeployment-healthy.json, Current",
    "bootablemedia-healthy.json, Current",
    "osimage-progressing.json, InProgress",
    "bootablemedia-reconciling.json, InProgress",
    "osimage-not-observed.json, InProgress",
    "distributionpoint-degraded.json, Failed",
    "tasksequencedeployment-stalled.json, Failed"
  })
  void eachStateGetsItsKstatus(String fixture, String expected) throws Exception {
    Verdict verdict = compute(fixture(fixture));
    assertEquals(expected, verdict.status(), verdict.message());
  }

  /** The rules behind the table above, checked on every fixture from its own conditions. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtures")
  void readyIsCurrentStalledIsFailedReconcilingIsInProgress(String fixture) throws Exception {
    JsonNode object = fixture(fixture);
    Verdict verdict = compute(object);
    String expected =
        condition(object, "Stalled")
            ? "Failed"
            : condition(object, "Reconciling")
                ? "InProgress"
                : condition(object, "Ready") ? "Current" : "(none of the three is True)";
    assertEquals(expected, verdict.status(), fixture + ": " + verdict.message());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtures")
  void aGenerationTheOperatorHasNotSeenIsInProgress(String fixture) throws Exception {
    JsonNode object = fixture(fixture);
    ObjectNode metadata = (ObjectNode) object.path("metadata");
    metadata.put("generation", metadata.path("generation").asLong() + 1);
    assertEquals("InProgress", compute(object).status());
  }

  @Test
  void stalledCarriesTheMessageThatSaysWhatToChange() throws Exception {
    Verdict verdict = compute(fixture("tasksequencedeployment-stalled.json"));
    assertEquals("Failed", verdict.status());
    assertTrue(verdict.message().startsWith("spec.target.machines[1].mac: "), verdict.message());
  }

  /**
   * A resource just created, before the operator reports, carries the status default from its CRD
   * (the API server fills it in): kstatus must not call it Current, or Flux would move on at once.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "osimages.osdeploy.io-v1.yml",
        "distributionpoints.osdeploy.io-v1.yml",
        "tasksequencedeployments.osdeploy.io-v1.yml",
        "bootablemedias.osdeploy.io-v1.yml"
      })
  void aFreshResourceWithTheSchemaDefaultStatusIsNotCurrent(String crdFile) throws Exception {
    JsonNode crd = new ObjectMapper(new YAMLFactory()).readTree(CRDS.resolve(crdFile).toFile());
    JsonNode version = crd.path("spec").path("versions").path(0);
    JsonNode defaultStatus =
        version.path("schema").path("openAPIV3Schema").path("properties").path("status");
    assertTrue(defaultStatus.has("default"), crdFile + " gives status a default");
    ObjectNode fresh = JSON.createObjectNode();
    fresh.put(
        "apiVersion",
        crd.path("spec").path("group").asText() + "/" + version.path("name").asText());
    fresh.put("kind", crd.path("spec").path("names").path("kind").asText());
    fresh.putObject("metadata").put("name", "fresh").put("namespace", "site").put("generation", 1);
    fresh.set("status", defaultStatus.path("default"));
    Verdict verdict = compute(fresh);
    assertNotEquals("Current", verdict.status(), verdict.message());
    assertEquals("InProgress", verdict.status(), verdict.message());
  }

  static Stream<String> fixtures() {
    return FIXTURES.stream();
  }

  private static boolean condition(JsonNode object, String type) {
    for (JsonNode c : object.path("status").path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return "True".equals(c.path("status").asText());
      }
    }
    return false;
  }

  private static JsonNode fixture(String name) throws IOException {
    try (InputStream in = KstatusConformanceTest.class.getResourceAsStream("/gitops/" + name)) {
      return JSON.readTree(in);
    }
  }

  private static Verdict compute(JsonNode object) throws Exception {
    Process p = new ProcessBuilder(tool().toString()).start();
    try (var in = p.getOutputStream()) {
      in.write(JSON.writeValueAsBytes(object));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), err);
    String line = out.strip();
    int tab = line.indexOf('\t');
    return new Verdict(line.substring(0, tab), line.substring(tab + 1));
  }

  /** Builds the tool once (the first time takes about a minute), or finds it in the cache. */
  private static synchronized Path tool() throws Exception {
    if (tool == null) {
      Path log = Files.createTempFile("kstatus-tool", ".log");
      Process p =
          new ProcessBuilder("bash", TOOL_SCRIPT.toString()).redirectError(log.toFile()).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      boolean built = p.waitFor(10, TimeUnit.MINUTES) && p.exitValue() == 0 && !out.isEmpty();
      Prerequisites.require(
          built,
          "the kstatus tool (Go and the Go module proxy; scripts/kstatus-tool.sh said: "
              + Files.readString(log).strip()
              + ")");
      String[] lines = out.split("\n");
      tool = Path.of(lines[lines.length - 1]);
    }
    return tool;
  }
}
