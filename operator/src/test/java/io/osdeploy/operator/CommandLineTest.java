package io.osdeploy.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The operator's command line as a person or a script meets it: usage, version, usage errors. */
class CommandLineTest {
  /** What one run of the command line printed and returned. */
  private record Ran(int status, String out, String err) {}

  private static Ran run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine line = Main.commandLine();
    line.setOut(new PrintWriter(out, true));
    line.setErr(new PrintWriter(err, true));
    int status = line.execute(args);
    return new Ran(status, out.toString(), err.toString());
  }

  @Test
  void everyCommandPrintsItsUsageAndExitCodesOnStandardOutputForHelp() {
    Map<List<String>, String> usages =
        Map.of(
            List.of("--help"), "Usage: osdeploy-operator ",
            List.of("-h"), "Usage: osdeploy-operator ",
            List.of("run", "--help"), "Usage: osdeploy-operator run ",
            List.of("validate", "--help"), "Usage: osdeploy-operator validate ",
            List.of("help", "validate"), "Usage: osdeploy-operator validate ");
    usages.forEach(
        (args, usage) -> {
          Ran ran = run(args.toArray(String[]::new));
          assertEquals(0, ran.status(), args.toString());
          assertEquals("", ran.err(), args.toString());
          assertTrue(ran.out().startsWith(usage), ran.out());
          assertTrue(ran.out().contains("Exit status:"), ran.out());
          assertTrue(ran.out().contains("2   bad usage"), ran.out());
        });
    assertTrue(run("validate", "--help").out().contains("1   an error was found"));
    assertTrue(run("run", "--help").out().contains("--until-ready=SECONDS"));
  }

  @Test
  void everyCommandPrintsTheVersion() {
    for (List<String> args :
        List.of(List.of("--version"), List.of("run", "--version"), List.of("validate", "-V"))) {
      Ran ran = run(args.toArray(String[]::new));
      assertEquals(0, ran.status(), args.toString());
      assertTrue(ran.out().matches("osdeploy-operator \\S+\\R"), ran.out());
    }
  }

  @Test
  void anUnknownFlagIsNamedWithTheUsageAndExitsTwo() {
    for (String command : List.of("run", "validate")) {
      Ran ran =
          command.equals("run") ? run(command, "--colour") : run(command, "--colour", "samples");
      assertEquals(2, ran.status(), command);
      assertEquals("", ran.out(), command);
      assertTrue(ran.err().startsWith("Unknown option: '--colour'"), ran.err());
      assertTrue(ran.err().contains("Usage: osdeploy-operator " + command + " "), ran.err());
    }
  }

  @Test
  void aFlagWithoutItsValueIsNamedWithTheUsageAndExitsTwo() {
    Ran ran = run("run", "--until-ready");
    assertEquals(2, ran.status());
    assertTrue(
        ran.err().startsWith("Missing required parameter for option '--until-ready' (SECONDS)"),
        ran.err());
    assertTrue(ran.err().contains("Usage: osdeploy-operator run "), ran.err());

    Ran followed = run("run", "--samples", "--vms", "1");
    assertEquals(2, followed.status());
    assertTrue(
        followed.err().startsWith("Expected parameter for option '--samples' but found '--vms'"),
        followed.err());
  }

  @Test
  void badValuesAndMissingArgumentsAreUsageErrors() {
    Ran notANumber = run("run", "--vms", "two");
    assertEquals(2, notANumber.status());
    assertTrue(
        notANumber.err().startsWith("Invalid value for option '--vms': 'two' is not a long"),
        notANumber.err());

    Ran negative = run("run", "--until-observed", "-5");
    assertEquals(2, negative.status());
    assertTrue(
        negative.err().startsWith("--until-observed: not a number of seconds: -5"), negative.err());

    Ran both = run("run", "--until-ready", "5", "--until-observed", "5");
    assertEquals(2, both.status());
    assertTrue(both.err().contains("are mutually exclusive"), both.err());

    Ran noPath = run("validate");
    assertEquals(2, noPath.status());
    assertTrue(noPath.err().startsWith("Missing required parameter: 'PATH'"), noPath.err());
    assertTrue(noPath.err().contains("Usage: osdeploy-operator validate "), noPath.err());

    Ran noCommand = run();
    assertEquals(2, noCommand.status());
    assertEquals("", noCommand.out());
    assertTrue(noCommand.err().startsWith("Usage: osdeploy-operator "), noCommand.err());

    Ran unknownCommand = run("deploy");
    assertEquals(2, unknownCommand.status());
    assertTrue(unknownCommand.err().contains("'deploy'"), unknownCommand.err());
  }
}
