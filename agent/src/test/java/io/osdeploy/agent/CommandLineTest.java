package io.osdeploy.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The agent's command line as a person or a script meets it: usage, version, usage errors. */
class CommandLineTest {
  /** What one run of the command line printed and returned. */
  private record Ran(int status, String out, String err) {}

  private static Ran run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        Main.run(
            List.of(args),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Ran(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void everyCommandPrintsItsUsageAndExitCodesOnStandardOutputForHelp() {
    for (List<String> args :
        List.of(
            List.of("--help"), List.of("-h"), List.of("run", "--help"), List.of("help", "run"))) {
      Ran ran = run(args.toArray(String[]::new));
      assertEquals(0, ran.status(), args.toString());
      assertEquals("", ran.err(), args.toString());
      String command = args.contains("run") ? "osdeploy-agent run" : "osdeploy-agent";
      assertTrue(ran.out().startsWith("Usage: " + command + " "), ran.out());
      assertTrue(ran.out().contains("Exit status:"), ran.out());
      assertTrue(ran.out().contains("4   nothing to run"), ran.out());
    }
    assertTrue(run("run", "--help").out().contains("--server=URL"));
  }

  @Test
  void everyCommandPrintsTheVersion() {
    for (List<String> args : List.of(List.of("--version"), List.of("run", "--version"))) {
      Ran ran = run(args.toArray(String[]::new));
      assertEquals(0, ran.status(), args.toString());
      assertTrue(ran.out().matches("osdeploy-agent \\S+\\R"), ran.out());
    }
  }

  @Test
  void anUnknownFlagIsNamedWithTheUsageAndExitsTwo() {
    Ran ran = run("run", "--server", "http://127.0.0.1:9", "--colour");
    assertEquals(2, ran.status());
    assertEquals("", ran.out());
    assertTrue(ran.err().startsWith("Unknown option: '--colour'"), ran.err());
    assertTrue(ran.err().contains("Usage: osdeploy-agent run "), ran.err());
  }

  @Test
  void aFlagWithoutItsValueIsNamedWithTheUsageAndExitsTwo() {
    Ran ran = run("run", "--server", "http://127.0.0.1:9", "--state-dir");
    assertEquals(2, ran.status());
    assertTrue(
        ran.err().startsWith("Missing required parameter for option '--state-dir' (DIR)"),
        ran.err());
    assertTrue(ran.err().contains("Usage: osdeploy-agent run "), ran.err());
  }

  @Test
  void aValueTheFlagDoesNotTakeIsNamedWithTheUsageAndExitsTwo() {
    Ran ran = run("run", "--server", "http://127.0.0.1:9", "--retry-for", "soon");
    assertEquals(2, ran.status());
    assertTrue(
        ran.err().startsWith("Invalid value for option '--retry-for': 'soon' is not a long"),
        ran.err());
    assertTrue(ran.err().contains("Usage: osdeploy-agent run "), ran.err());
  }

  @Test
  void withoutACommandTheUsageGoesToStandardErrorWithTwo() {
    Ran ran = run();
    assertEquals(2, ran.status());
    assertEquals("", ran.out());
    assertTrue(ran.err().startsWith("Usage: osdeploy-agent "), ran.err());
  }

  @Test
  void aFlagGivenAgainOverridesTheOneBefore() {
    AgentOptions options =
        AgentOptions.parse(
            List.of("--server", "http://10.0.0.5:9080", "--source", "pxe", "--source", "client"));
    assertEquals("client", options.source());
  }
}
