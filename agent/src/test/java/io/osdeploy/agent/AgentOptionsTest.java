package io.osdeploy.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentOptionsTest {
  @Test
  void defaultsAndValues() {
    AgentOptions o =
        AgentOptions.parse(
            List.of("--server", "http://10.0.0.5:9080/", "--disk=/dev/sda", "--non-interactive"));
    assertEquals("http://10.0.0.5:9080", o.server().toString());
    assertEquals(Path.of("/dev/sda"), o.disk());
    assertEquals("media", o.source());
    assertEquals(Path.of("/var/lib/osdeploy"), o.stateDir());
    assertEquals(Duration.ofHours(1), o.multicastTimeout());
    assertEquals(false, o.interactive());
  }

  @Test
  void eachBadOptionIsNamed() {
    Map<List<String>, String> cases =
        Map.of(
            List.of(), "Missing required option: '--server=URL'",
            List.of("--server", "ftp://x"), "--server:",
            List.of("--server", "http://x:1", "--source", "usb"), "--source:",
            List.of("--server", "http://x:1", "--retry-for", "-1"), "--retry-for:",
            List.of("--server", "http://x:1", "--disk"),
                "Missing required parameter for option '--disk' (PATH)",
            List.of("--server", "http://x:1", "--colour"), "Unknown option: '--colour'");
    cases.forEach(
        (args, message) -> {
          IllegalArgumentException e =
              assertThrows(IllegalArgumentException.class, () -> AgentOptions.parse(args));
          assertTrue(e.getMessage().startsWith(message), args + " -> " + e.getMessage());
        });
  }

  @Test
  void usageErrorsExitWithTwoAndSayWhy() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        Main.run(
            List.of("run", "--server", "http://127.0.0.1:9", "--mac", "not-a-mac"),
            new PrintStream(new ByteArrayOutputStream()),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(Main.USAGE, code);
    assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("--mac: not a MAC address"));
  }

  @Test
  void helpAndVersionAnswerOnStandardOutput() {
    for (List<String> args : List.of(List.of("--help"), List.of("--version"))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int code =
          Main.run(
              args,
              new PrintStream(out, true, StandardCharsets.UTF_8),
              new PrintStream(new ByteArrayOutputStream()));
      assertEquals(Main.OK, code, args.toString());
      String said = out.toString(StandardCharsets.UTF_8);
      assertTrue(
          args.get(0).equals("--help")
              ? said.startsWith("Usage: osdeploy-agent")
              : said.startsWith("osdeploy-agent "),
          said);
    }
  }

  @Test
  void variablesAreSubstitutedAndUnknownOnesLeftToTheShell() {
    assertEquals(
        "join --role office --home ${HOME} $PATH",
        Variables.substitute("join --role ${ROLE} --home ${HOME} $PATH", Map.of("ROLE", "office")));
    assertEquals("a$1\\b", Variables.substitute("${X}", Map.of("X", "a$1\\b")));
  }
}
