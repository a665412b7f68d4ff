package io.osdeploy.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMDCAdapter;

class LogSinkTest {
  private final BasicMDCAdapter mdc = new BasicMDCAdapter();
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

  private static Properties simpleLogger() {
    Properties p = new Properties();
    p.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
    p.setProperty("org.slf4j.simpleLogger.log.io.javaoperatorsdk", "warn");
    p.setProperty("org.slf4j.simpleLogger.log.io.osdeploy.noisy", "warn");
    p.setProperty("org.slf4j.simpleLogger.showThreadName", "false");
    p.setProperty("org.slf4j.simpleLogger.showShortLogName", "true");
    return p;
  }

  private LogFactory factory(Map<String, String> env) {
    LogSettings settings = new LogSettings(simpleLogger(), env);
    return new LogFactory(
        settings, new LogSink(settings, mdc, new PrintStream(bytes, true, StandardCharsets.UTF_8)));
  }

  private String written() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void jsonIsOneObjectPerLineWithTheResourceTheLineIsAbout() throws Exception {
    LogFactory f = factory(Map.of("OSDEPLOY_LOG_FORMAT", "json"));
    mdc.put("resource.namespace", "site-a");
    mdc.put("resource.name", "win11-rollout");
    mdc.put("resource.kind", "TaskSequenceDeployment");
    f.getLogger("io.osdeploy.operator.X")
        .warn("deployment {} stalled: \"{}\"\nsecond line", "win11-rollout", "no image");
    mdc.clear();
    f.getLogger("io.osdeploy.daemon.Y").error("failed", new IllegalStateException("boom"));

    String[] lines = written().split("\n");
    assertEquals(2, lines.length, written());
    JsonNode first = new ObjectMapper().readTree(lines[0]);
    assertEquals("WARN", first.get("level").asText());
    assertEquals("site-a", first.get("namespace").asText());
    assertEquals("win11-rollout", first.get("name").asText());
    assertEquals("TaskSequenceDeployment", first.get("kind").asText());
    assertEquals("io.osdeploy.operator.X", first.get("logger").asText());
    assertEquals(
        "deployment win11-rollout stalled: \"no image\"\nsecond line",
        first.get("message").asText());
    JsonNode second = new ObjectMapper().readTree(lines[1]);
    assertTrue(second.get("namespace") == null, "no resource outside a reconciliation");
    assertTrue(second.get("error").asText().startsWith("java.lang.IllegalStateException: boom"));
  }

  @Test
  void standardErrorIsLookedUpAtEachLine() {
    LogSettings settings = new LogSettings(simpleLogger(), Map.of());
    LogSink sink = new LogSink(settings, mdc);
    PrintStream err = System.err;
    System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      sink.write(Level.INFO, "io.osdeploy.daemon.Daemon", "swapped", null);
    } finally {
      System.setErr(err);
    }
    assertEquals("INFO Daemon - swapped\n", written());
  }

  @Test
  void textIsTheDefaultAsTheSimpleLoggerWroteIt() {
    LogFactory f = factory(Map.of());
    f.getLogger("io.osdeploy.operator.Main").info("listening on {}", 8088);
    assertEquals("INFO Main - listening on 8088\n", written());
  }

  @Test
  void levelsComeFromTheFileAndTheEnvironmentLowersThemForOurCode() {
    LogFactory quiet = factory(Map.of());
    quiet.getLogger("io.javaoperatorsdk.operator.Operator").info("hidden");
    quiet.getLogger("io.osdeploy.noisy.Thing").info("hidden too");
    quiet.getLogger("io.osdeploy.operator.Main").debug("hidden at info");
    assertEquals("", written());

    LogFactory debug = factory(Map.of("OSDEPLOY_LOG_LEVEL", "debug"));
    debug.getLogger("io.osdeploy.noisy.Thing").debug("shown");
    debug.getLogger("io.osdeploy.operator.Main").debug("shown too");
    debug.getLogger("io.javaoperatorsdk.operator.Operator").info("still hidden");
    assertEquals("DEBUG Thing - shown\nDEBUG Main - shown too\n", written());
    assertEquals(
        Level.WARN, new LogSettings(simpleLogger(), Map.of()).levelOf("io.javaoperatorsdk.x"));
  }
}
