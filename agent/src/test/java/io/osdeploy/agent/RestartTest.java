package io.osdeploy.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code restart.intoBootEnvironment} does where the agent runs. In the boot environment: a
 * restart into it runs the agent again, a restart into the installed system ends the deployment and
 * may only be last. In an installed system: a restart into the boot environment needs the
 * distribution point's boot files (the virtual-machine test, {@code RestartIntoBootEnvironmentIT},
 * goes on from there with kexec).
 */
class RestartTest {
  private static final String MAC = "52:54:00:00:00:08";
  private static final String SET_A =
      "{\"name\":\"Set A\",\"setVariable\":{\"name\":\"A\",\"value\":\"1\"}}";
  private static final String SET_B =
      "{\"name\":\"Set B\",\"setVariable\":{\"name\":\"B\",\"value\":\"2\"}}";

  @TempDir Path dir;
  private HttpServer server;
  private final List<String> reports = new ArrayList<>();

  private void serve(String... steps) throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    byte[] policy =
        ("{\"deployments\":[{\"name\":\"rebuild\",\"namespace\":\"site\",\"required\":true,"
                + "\"delivery\":\"Unicast\",\"steps\":["
                + String.join(",", steps)
                + "]}]}")
            .getBytes(StandardCharsets.UTF_8);
    StubTokens.serve(server);
    server.createContext(
        "/v1/policy",
        exchange -> {
          if (!StubTokens.carried(exchange)) {
            return;
          }
          exchange.sendResponseHeaders(200, policy.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(policy);
          }
        });
    server.createContext(
        "/v1/status",
        exchange -> {
          synchronized (reports) {
            reports.add(
                new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          }
          exchange.sendResponseHeaders(202, -1);
          exchange.close();
        });
    server.start();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  private static String restart(Boolean intoBootEnvironment) {
    return "{\"name\":\"Restart\",\"restart\":{"
        + (intoBootEnvironment == null ? "" : "\"intoBootEnvironment\":" + intoBootEnvironment)
        + "}}";
  }

  private int run(ByteArrayOutputStream out, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "run",
                "--server",
                "http://127.0.0.1:" + server.getAddress().getPort(),
                "--mac",
                MAC,
                "--uuid",
                "8c3e5a1b-2c3d-4e5f-9a8b-7c6d5e4f3a2c",
                "--state-dir",
                dir.resolve("state").toString(),
                "--non-interactive"));
    args.addAll(List.of(extra));
    PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
    return Main.run(args, print, print);
  }

  @Test
  void inTheBootEnvironmentARestartIntoTheInstalledSystemThatIsLastEndsTheDeployment()
      throws Exception {
    serve(SET_A, restart(null));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(0, run(out, "--boot-environment"), out.toString(StandardCharsets.UTF_8));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("rebuild: succeeded"));
    synchronized (reports) {
      assertTrue(reports.get(reports.size() - 1).contains("\"succeeded\""), reports.toString());
    }
  }

  @Test
  void inTheBootEnvironmentStepsAfterARestartIntoTheInstalledSystemFailWithTheReason()
      throws Exception {
    serve(restart(false), SET_A);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(1, run(out, "--boot-environment"), out.toString(StandardCharsets.UTF_8));
    synchronized (reports) {
      assertTrue(
          reports.stream()
              .anyMatch(
                  r ->
                      r.contains("\"failed\"")
                          && r.contains("cannot hand them to the installed system")),
          reports.toString());
    }
  }

  @Test
  void inTheBootEnvironmentARestartIntoItRunsTheAgentAgainWhichResumes() throws Exception {
    serve(SET_A, restart(true), SET_B);
    ByteArrayOutputStream first = new ByteArrayOutputStream();
    assertEquals(3, run(first, "--boot-environment"), first.toString(StandardCharsets.UTF_8));
    ByteArrayOutputStream second = new ByteArrayOutputStream();
    assertEquals(0, run(second, "--boot-environment"), second.toString(StandardCharsets.UTF_8));
    assertTrue(
        second.toString(StandardCharsets.UTF_8).contains("resuming rebuild at step 3 of 3"),
        second.toString(StandardCharsets.UTF_8));
    String state = Files.readString(dir.resolve("state").resolve(AgentState.FILE));
    assertTrue(state.contains("\"A\" : \"1\"") && state.contains("\"B\" : \"2\""), state);
  }

  @Test
  void anInstalledSystemWhoseDistributionPointHasNoBootEnvironmentFailsTheRestartAndKeepsIt()
      throws Exception {
    serve(SET_A, restart(true), SET_B);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(1, run(out, "--source", "client"), out.toString(StandardCharsets.UTF_8));
    synchronized (reports) {
      assertTrue(
          reports.stream().anyMatch(r -> r.contains("/boot/vmlinuz: HTTP 404")),
          reports.toString());
    }
    AgentState state = AgentState.load(dir.resolve("state"));
    assertEquals(1, state.nextStep, "the restart is the step to run again");
    assertTrue(!Files.exists(dir.resolve("state/handover/vmlinuz")));
  }

  @Test
  void theStateTravelsAsACpioArchiveThatCpioReads() throws Exception {
    byte[] state = "{\"deployment\":\"rebuild\",\"nextStep\":2}\n".getBytes(StandardCharsets.UTF_8);
    Path archive = dir.resolve("state.cpio");
    Files.write(archive, BootEnvironmentHandover.stateArchive(state));
    assertEquals(0, Files.size(archive) % 4, "the kernel wants archives on 4-byte boundaries");
    Path into = Files.createDirectories(dir.resolve("unpacked"));
    Process cpio =
        new ProcessBuilder("cpio", "-i", "-d", "--quiet", "-F", archive.toString())
            .directory(into.toFile())
            .redirectErrorStream(true)
            .start();
    String output = new String(cpio.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(cpio.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, cpio.exitValue(), output);
    assertEquals(
        new String(state, StandardCharsets.UTF_8),
        Files.readString(into.resolve(BootEnvironmentHandover.STATE_IN_INITRAMFS)));
  }

  @Test
  void theBootEnvironmentGetsTheArgumentsABootScriptWouldGiveIt() {
    AgentOptions options =
        AgentOptions.parse(
            List.of(
                "--server",
                "https://10.0.0.5:9443",
                "--source",
                "client",
                "--ca-fingerprint",
                "ab".repeat(32),
                "--disk",
                "/dev/nvme0n1"));
    String line =
        BootEnvironmentHandover.commandLine(
            options,
            new Identity(MAC, null),
            "rebuild",
            "BOOT_IMAGE=/vmlinuz root=/dev/sda2 console=tty0 console=ttyS0,115200n8 ro\n",
            "t0k3n");
    assertEquals(
        "console=tty0 console=ttyS0,115200n8 quiet osdeploy.server=https://10.0.0.5:9443"
            + " osdeploy.source=client osdeploy.deployment=rebuild osdeploy.ca="
            + "ab".repeat(32)
            + " osdeploy.mac="
            + MAC
            + " osdeploy.disk=/dev/nvme0n1 osdeploy.token=t0k3n",
        line);
  }
}
