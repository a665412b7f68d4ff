package io.osdeploy.daemon.pxe;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.daemon.Main;
import io.osdeploy.daemon.testing.Prerequisites;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real daemon, in a JVM of its own with PXE on (proxyDHCP and TFTP) in a network namespace the
 * test creates, under the floods a hostile host on the LAN can send: 10,000 TFTP read requests from
 * 10,000 source ports that never acknowledge anything, then 10,000 TCP connections to its HTTP port
 * from 313 addresses that never say a word. The flood comes from a second JVM in the same namespace
 * ({@link Flood}). After each, a real machine is still served (the whole iPXE file by TFTP; {@code
 * /healthz} over HTTP from an address of its own), and the daemon's resident memory stays under
 * {@link #RSS_BOUND_MIB}. It prints the figures; docs/security.md quotes them. Needs root and
 * {@code ip}.
 */
@Tag("netns")
class DaemonUnderFloodTest {
  /** The daemon runs with a 256 MiB heap; code, metaspace, threads and buffers come on top. */
  static final long RSS_BOUND_MIB = 512;

  private static final int REQUESTS = 10_000;
  private static final String FILE = "undionly.kpxe";
  private static final int HTTP_PORT = 9080;

  @TempDir Path dir;
  private final String ns = "osd-flood-" + Long.toHexString(System.nanoTime() & 0xffffff);
  private Process daemon;
  private Process flood;

  @AfterEach
  void stop() throws Exception {
    for (Process p : new Process[] {flood, daemon}) {
      if (p != null) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    new ProcessBuilder("ip", "netns", "del", ns).start().waitFor(10, TimeUnit.SECONDS);
  }

  @Test
  void aFloodOfTftpRequestsAndSilentConnectionsLeavesMemoryBoundedAndMachinesServed()
      throws Exception {
    Prerequisites.require(Prerequisites.root(), "root (network namespaces)");
    Prerequisites.require(Prerequisites.onPath("ip"), "ip (apt-get install iproute2)");
    Prerequisites.require(
        Files.isReadable(TftpSettings.DEBIAN_IPXE.resolve(FILE)),
        "Debian's iPXE (" + TftpSettings.DEBIAN_IPXE.resolve(FILE) + ")");
    sh("ip", "netns", "add", ns);
    sh("ip", "-n", ns, "link", "set", "lo", "up");
    // The daemon's LAN: one end of a veth pair that stays in the namespace (PXE needs an address
    // that is not loopback; the flood and the machine reach the daemon on loopback).
    sh("ip", "-n", ns, "link", "add", "lan0", "type", "veth", "peer", "name", "lan1");
    sh("ip", "-n", ns, "addr", "add", "10.251.0.1/24", "dev", "lan0");
    sh("ip", "-n", ns, "link", "set", "lan0", "up");
    sh("ip", "-n", ns, "link", "set", "lan1", "up");
    startDaemon();
    Map<String, Long> rss = new LinkedHashMap<>();
    rss.put("start", rssMib());

    flood =
        new ProcessBuilder(
                inNamespace(
                    List.of(
                        javaBinary(),
                        "-Xmx256m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        Flood.class.getName())))
            .redirectError(dir.resolve("flood.err").toFile())
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(flood.getInputStream(), StandardCharsets.UTF_8));
    Writer in = new OutputStreamWriter(flood.getOutputStream(), StandardCharsets.UTF_8);
    String result = null;
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      if (line.startsWith("MEASURE ")) {
        rss.put(line.substring(8), rssMib());
        in.write("go\n");
        in.flush();
      } else if (line.startsWith("RESULT ")) {
        result = line.substring(7);
      }
    }
    assertTrue(flood.waitFor(5, TimeUnit.MINUTES), "the flood did not end");
    assertEquals(
        0,
        flood.exitValue(),
        "the machine was not served:\n" + Files.readString(dir.resolve("flood.err")));
    rss.put("end", rssMib());
    System.out.printf(
        "daemon under flood: RSS MiB %s (bound %d); %s%n", rss, RSS_BOUND_MIB, result);
    for (Map.Entry<String, Long> e : rss.entrySet()) {
      assertTrue(e.getValue() < RSS_BOUND_MIB, "RSS " + e.getKey() + ": " + e.getValue() + " MiB");
    }
  }

  /**
   * The flood and the real machine, run in the daemon's namespace: prints {@code MEASURE <point>}
   * and waits for a line on standard input at each point the test measures the daemon; exits 1 with
   * the reason on standard error when the machine is not served.
   */
  static final class Flood {
    private Flood() {}

    public static void main(String[] args) throws Exception {
      BufferedReader go =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      byte[] ipxe = Files.readAllBytes(TftpSettings.DEBIAN_IPXE.resolve(FILE));

      // 10,000 read requests, each from a port of its own that never acknowledges (at most 512
      // sockets open at once here, the rest closed: a spoofing sender never answers either).
      byte[] rrq =
          new TftpPacket.Request(
                  false, FILE, "octet", Map.of("blksize", "1468", "windowsize", "16"))
              .encode();
      InetSocketAddress tftp = new InetSocketAddress("127.0.0.1", TftpServer.PORT);
      Deque<DatagramSocket> open = new ArrayDeque<>();
      for (int i = 0; i < REQUESTS; i++) {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        s.send(new DatagramPacket(rrq, rrq.length, tftp));
        open.add(s);
        if (open.size() > 512) {
          open.poll().close();
        }
      }
      open.forEach(DatagramSocket::close);
      measure("after-" + REQUESTS + "-tftp-requests", go);
      long tftpStart = System.nanoTime();
      byte[] fetched = fetchUntilServed(tftp, Duration.ofSeconds(60));
      long tftpServedMs = (System.nanoTime() - tftpStart) / 1_000_000;
      if (!Arrays.equals(ipxe, fetched)) {
        fail("the machine's TFTP read did not bring the file");
      }

      // 10,000 connections that say nothing, 32 from each of 313 addresses (127.0.0.0/8 is all
      // loopback): the per-address limit, the total limit, and the place a silent one gives up.
      List<Socket> silent = new ArrayList<>();
      int failed = 0;
      for (int i = 0; i < REQUESTS; i++) {
        int a = i / 32;
        InetAddress from = InetAddress.getByName("127.0." + (1 + a / 250) + "." + (1 + a % 250));
        try {
          silent.add(new Socket(InetAddress.getByName("127.0.0.1"), HTTP_PORT, from, 0));
        } catch (IOException e) {
          failed++;
        }
      }
      measure("holding-" + REQUESTS + "-silent-connections", go);
      // Past the time a silent connection keeps its place when every place is taken.
      Thread.sleep(6_000);
      String healthz = get();
      if (!"HTTP/1.1 200 OK".equals(healthz)) {
        fail("the machine's GET /healthz got: " + healthz);
      }
      String metrics = metrics();
      if (!metrics.matches("(?s).*\nosdeploy_http_connections_evicted_total [1-9].*")) {
        fail("no silent connection gave its place:\n" + metrics);
      }
      measure("after-the-machine-was-served", go);
      for (Socket s : silent) {
        s.close();
      }
      String counts =
          metrics
              .lines()
              .filter(l -> l.startsWith("osdeploy_http_connections"))
              .reduce("", (x, y) -> x + (x.isEmpty() ? "" : ", ") + y);
      System.out.println(
          "RESULT the machine's TFTP read took "
              + tftpServedMs
              + " ms after the flood; connections the flood could not open: "
              + failed
              + "; "
              + counts);
      System.out.flush();
    }

    private static void measure(String point, BufferedReader go) throws IOException {
      System.out.println("MEASURE " + point);
      System.out.flush();
      go.readLine();
    }

    private static void fail(String why) {
      System.err.println(why);
      System.exit(1);
    }

    /**
     * Reads the file as a PXE ROM does: asks again when the server answers busy, or nothing within
     * the client's 10 s.
     */
    private static byte[] fetchUntilServed(InetSocketAddress tftp, Duration within)
        throws Exception {
      long deadline = System.nanoTime() + within.toNanos();
      TftpTestClient.Result last = null;
      while (System.nanoTime() < deadline) {
        try (TftpTestClient client = new TftpTestClient(tftp)) {
          last = client.read(FILE, Map.of("blksize", "1468", "windowsize", "4"));
        } catch (java.net.SocketTimeoutException e) {
          continue;
        }
        if (last.error() == null) {
          return last.content();
        }
        Thread.sleep(500);
      }
      throw new IOException("never served within " + within + ": " + last);
    }

    /** GET /healthz from an address no flood used, on a connection of its own. */
    private static String get() throws IOException {
      try (Socket machine =
          new Socket(
              InetAddress.getByName("127.0.0.1"),
              HTTP_PORT,
              InetAddress.getByName("127.0.9.9"),
              0)) {
        machine.setSoTimeout(10_000);
        machine
            .getOutputStream()
            .write("GET /healthz HTTP/1.1\r\nHost: dp\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return new BufferedReader(
                new InputStreamReader(machine.getInputStream(), StandardCharsets.US_ASCII))
            .readLine();
      }
    }

    private static String metrics() throws Exception {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + HTTP_PORT + "/metrics"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    }
  }

  private void startDaemon() throws Exception {
    Path config = dir.resolve("daemon.json");
    Files.writeString(
        config,
        """
        {"namespace": "site", "distributionPoint": "flood", "generation": 1,
         "contentPath": "/unused", "httpPort": %d, "images": [], "pxeEnabled": true}
        """
            .formatted(HTTP_PORT));
    Path log = dir.resolve("daemon.log");
    ProcessBuilder builder =
        new ProcessBuilder(
                inNamespace(
                    List.of(
                        javaBinary(),
                        "-Xmx256m",
                        "-XX:+UseSerialGC",
                        "-cp",
                        System.getProperty("java.class.path"),
                        Main.class.getName(),
                        "--config",
                        config.toString(),
                        "--node",
                        "flood",
                        "--http-port",
                        String.valueOf(HTTP_PORT),
                        "--content-path",
                        dir.resolve("content").toString(),
                        "--advertise-address",
                        "10.251.0.1")))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().remove("KUBERNETES_SERVICE_HOST");
    builder.environment().remove("KUBECONFIG");
    daemon = builder.start();
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                assertTrue(daemon.isAlive(), "the daemon exited:\n" + Files.readString(log));
                return Files.readString(log).contains("PXE on:");
              });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("PXE did not start:\n" + Files.readString(log), e);
    }
  }

  /** The daemon's resident set, from /proc ({@code ip netns exec} runs java in its own process). */
  private long rssMib() throws IOException {
    for (String line :
        Files.readAllLines(Path.of("/proc", String.valueOf(daemon.pid()), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    throw new IOException("no VmRSS for " + daemon.pid());
  }

  private List<String> inNamespace(List<String> command) {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    all.addAll(command);
    return all;
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static void sh(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", command));
    assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
  }
}
