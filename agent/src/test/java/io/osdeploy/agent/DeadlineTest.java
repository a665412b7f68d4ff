package io.osdeploy.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A required deployment's deadline: an installed machine's agent ({@code --source client}) waits
 * for it; a machine booted from media or PXE, with no resident client, runs the deployment at once.
 */
class DeadlineTest {
  private static final String MAC = "52:54:00:00:00:07";

  @TempDir Path dir;
  private HttpServer server;
  private final AtomicReference<String> deadlinePassed = new AtomicReference<>("false");

  @BeforeEach
  void serve() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    StubTokens.serve(server);
    server.createContext(
        "/v1/policy",
        exchange -> {
          if (!StubTokens.carried(exchange)) {
            return;
          }
          byte[] body =
              ("{\"deployments\":[{\"name\":\"refresh\",\"namespace\":\"site\",\"required\":true,"
                      + "\"deadline\":\"2026-12-24T00:00:00Z\",\"deadlinePassed\":"
                      + deadlinePassed.get()
                      + ",\"delivery\":\"Unicast\",\"steps\":[{\"name\":\"Set\","
                      + "\"setVariable\":{\"name\":\"A\",\"value\":\"b\"}}]}]}")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.createContext(
        "/v1/status",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          exchange.sendResponseHeaders(202, -1);
          exchange.close();
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private int run(String source, ByteArrayOutputStream out) {
    return Main.run(
        List.of(
            "run",
            "--server",
            "http://127.0.0.1:" + server.getAddress().getPort(),
            "--source",
            source,
            "--mac",
            MAC,
            "--uuid",
            "8c3e5a1b-2c3d-4e5f-9a8b-7c6d5e4f3a2b",
            "--state-dir",
            dir.resolve(source).toString(),
            "--non-interactive"),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(out, true, StandardCharsets.UTF_8));
  }

  @Test
  void anInstalledMachineWaitsForTheDeadline() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(4, run("client", out), out.toString(StandardCharsets.UTF_8));
    assertTrue(
        out.toString(StandardCharsets.UTF_8)
            .contains("required deployment refresh runs by itself after its deadline"),
        out.toString(StandardCharsets.UTF_8));
  }

  @Test
  void anInstalledMachineRunsItOnceTheDeadlinePassed() {
    deadlinePassed.set("true");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(0, run("client", out), out.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aMachineBootedFromMediaRunsItAtOnce() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(0, run("media", out), out.toString(StandardCharsets.UTF_8));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("refresh: succeeded"));
  }
}
