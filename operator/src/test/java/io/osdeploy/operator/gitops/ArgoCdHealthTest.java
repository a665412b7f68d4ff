package io.osdeploy.operator.gitops;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Argo CD health check in docs/gitops, run by a real Lua 5.1 interpreter against status objects
 * captured from a running system.
 */
class ArgoCdHealthTest {
  private static final Path HEALTH = Path.of("..", "docs", "gitops", "argocd-health.yaml");
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Health(String status, String message) {}

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "osimage-healthy.json, Healthy",
    "distributionpoint-healthy.json, Healthy",
    "tasksequencedeployment-healthy.json, Healthy",
    "bootablemedia-healthy.json, Healthy",
    "osimage-progressing.json, Progressing",
    "osimage-not-observed.json, Progressing",
    "distributionpoint-degraded.json, Degraded",
    "tasksequencedeployment-stalled.json, Degraded",
    "bootablemedia-reconciling.json, Progressing"
  })
  void capturedStatusGetsItsHealth(String fixture, String expected) throws Exception {
    Health health = run(fixture(fixture));
    assertEquals(expected, health.status(), health.message());
  }

  @Test
  void degradedSaysWhatToChange() throws Exception {
    Health health = run(fixture("distributionpoint-degraded.json"));
    assertTrue(health.message().startsWith("MulticastRangeConflict: "), health.message());
    assertTrue(health.message().contains("site-berlin"), health.message());
  }

  @Test
  void aNewGenerationIsProgressingUntilTheOperatorReports() throws Exception {
    JsonNode healthy = fixture("osimage-healthy.json");
    long generation = healthy.path("metadata").path("generation").asLong();
    ((ObjectNode) healthy.path("metadata")).put("generation", generation + 1);
    Health health = run(healthy);
    assertEquals("Progressing", health.status());
    assertEquals(
        "waiting for the osdeploy operator to report on generation " + (generation + 1),
        health.message());
  }

  private static JsonNode fixture(String name) throws IOException {
    try (InputStream in = ArgoCdHealthTest.class.getResourceAsStream("/gitops/" + name)) {
      return JSON.readTree(in);
    }
  }

  private static String script() throws IOException {
    JsonNode cm = new ObjectMapper(new YAMLFactory()).readTree(HEALTH.toFile());
    return cm.path("data").path("resource.customizations.health.osdeploy.io_*").asText();
  }

  private static Health run(JsonNode object) throws Exception {
    Prerequisites.require(onPath("lua5.1"), "lua5.1 (apt-get install lua5.1)");
    String program =
        "local obj = "
            + lua(object)
            + "\nlocal function health(obj)\n"
            + script()
            + "\nend\nlocal hs = health(obj)\nio.write(hs.status, \"\\t\", hs.message or \"\")\n";
    Path file = Files.createTempFile("argocd-health", ".lua");
    Files.writeString(file, program);
    Process p = new ProcessBuilder("lua5.1", file.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    Files.delete(file);
    int tab = out.indexOf('\t');
    return new Health(out.substring(0, tab), out.substring(tab + 1));
  }

  /** A JSON value as a Lua 5.1 table literal, as Argo CD hands objects to health scripts. */
  static String lua(JsonNode node) {
    if (node.isObject()) {
      StringBuilder out = new StringBuilder("{");
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isNull()) {
          out.append('[')
              .append(string(e.getKey()))
              .append("]=")
              .append(lua(e.getValue()))
              .append(',');
        }
      }
      return out.append('}').toString();
    }
    if (node.isArray()) {
      StringBuilder out = new StringBuilder("{");
      node.forEach(item -> out.append(lua(item)).append(','));
      return out.append('}').toString();
    }
    if (node.isNumber() || node.isBoolean()) {
      return node.asText();
    }
    if (node.isNull()) {
      return "nil";
    }
    return string(node.asText());
  }

  private static String string(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        default -> out.append(c);
      }
    }
    return out.append('"').toString();
  }

  private static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }
}
