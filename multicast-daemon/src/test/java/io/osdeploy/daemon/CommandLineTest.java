package io.osdeploy.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The daemon's command line as a person or a script meets it: usage, version, usage errors. */
class CommandLineTest {
  /** What one run of the command line printed and returned. */
  private record Ran(int status, String out, String err) {}

  private static Ran run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine line = DaemonCommand.commandLine("osdeploy-daemon 1.2.3");
    line.setOut(new PrintWriter(out, true));
    line.setErr(new PrintWriter(err, true));
    int status = line.execute(args);
    return new Ran(status, out.toString(), err.toString());
  }

  @Test
  void everyCommandPrintsItsUsageAndExitCodesOnStandardOutputForHelp() {
    for (List<String> args :
        List.of(
            List.of("--help"),
            List.of("-h"),
            List.of("receive", "--help"),
            List.of("help", "receive"))) {
      Ran ran = run(args.toArray(String[]::new));
      assertEquals(0, ran.status(), args.toString());
      assertEquals("", ran.err(), args.toString());
      String command = args.contains("receive") ? "osdeploy-daemon receive" : "osdeploy-daemon";
      assertTrue(ran.out().startsWith("Usage: " + command + " "), ran.out());
      assertTrue(ran.out().contains("Exit status:"), ran.out());
      assertTrue(ran.out().contains("2   bad usage"), ran.out());
    }
    assertTrue(run("--help").out().contains("--configmap=NAME"));
    assertTrue(run("receive", "--help").out().contains("--zstd=SHA256:BYTES"));
  }

  @Test
  void everyCommandPrintsTheVersion() {
    for (List<String> args : List.of(List.of("--version"), List.of("receive", "--version"))) {
      Ran ran = run(args.toArray(String[]::new));
      assertEquals(0, ran.status(), args.toString());
      assertEquals("osdeploy-daemon 1.2.3" + System.lineSeparator(), ran.out());
    }
  }

  @Test
  void anUnknownFlagIsNamedWithTheUsageAndExitsTwo() {
    Ran daemon = run("--config=daemon.json", "--verbose");
    assertEquals(2, daemon.status());
    assertEquals("", daemon.out());
    assertTrue(daemon.err().startsWith("Unknown option: '--verbose'"), daemon.err());
    assertTrue(daemon.err().contains("Usage: osdeploy-daemon "), daemon.err());

    Ran receive = run("receive", "--server=http://127.0.0.1:9", "--image=a", "--out=a", "--fast");
    assertEquals(2, receive.status());
    assertTrue(receive.err().startsWith("Unknown option: '--fast'"), receive.err());
    assertTrue(receive.err().contains("Usage: osdeploy-daemon receive "), receive.err());
  }

  @Test
  void aFlagWithoutItsValueIsNamedWithTheUsageAndExitsTwo() {
    Ran daemon = run("--config");
    assertEquals(2, daemon.status());
    assertTrue(
        daemon.err().startsWith("Missing required parameter for option '--config' (FILE)"),
        daemon.err());
    assertTrue(daemon.err().contains("Usage: osdeploy-daemon "), daemon.err());

    Ran empty = run("--config=");
    assertEquals(2, empty.status());
    assertTrue(empty.err().startsWith("--config: needs a value"), empty.err());

    Ran receive = run("receive", "--server=http://127.0.0.1:9", "--image=a", "--out");
    assertEquals(2, receive.status());
    assertTrue(
        receive.err().startsWith("Missing required parameter for option '--out' (PATH)"),
        receive.err());
    assertTrue(receive.err().contains("Usage: osdeploy-daemon receive "), receive.err());
  }

  @Test
  void checksAcrossFlagsAreUsageErrorsToo() {
    Ran neither = run();
    assertEquals(2, neither.status());
    assertTrue(neither.err().startsWith("give one of --configmap and --config"), neither.err());
    assertTrue(neither.err().contains("Usage: osdeploy-daemon "), neither.err());

    Ran twice = run("--config=a.json", "--config=b.json");
    assertEquals(2, twice.status());
    assertTrue(
        twice.err().startsWith("option '--config' (FILE) should be specified only once"),
        twice.err());

    Ran port = run("--config=a.json", "--http-port=http");
    assertEquals(2, port.status());
    assertTrue(
        port.err().startsWith("Invalid value for option '--http-port': 'http' is not an int"),
        port.err());

    Ran retry =
        run(
            "receive",
            "--server=http://127.0.0.1:9",
            "--image=a",
            "--out=a",
            "--interface=lo",
            "--retry-for=-1");
    assertEquals(2, retry.status());
    assertTrue(retry.err().startsWith("--retry-for: a number of seconds (got -1)"), retry.err());
  }
}
