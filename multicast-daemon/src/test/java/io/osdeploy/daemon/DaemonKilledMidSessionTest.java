package io.osdeploy.daemon;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.daemon.testing.TestContentServer;
import io.osdeploy.daemon.testing.TestTokenKeys;
import io.osdeploy.transfer.receive.ImageDownload;
import io.osdeploy.transfer.receive.MulticastReceiver;
import io.osdeploy.transfer.wire.WireFormat;
import java.io.File;
import java.io.IOException;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution point daemon sending a multicast session is killed (SIGKILL: no SESSION_END, no
 * clean-up) while its first pass is on the wire. Each daemon is the real {@link Main} in a JVM of
 * its own, on loopback; the receivers are {@link ImageDownload}, the agent's way of getting an
 * image. They notice the sender is gone, keep the blocks multicast brought, and fetch only the rest
 * by unicast: from another node serving the same image, or from the killed node once it is back.
 */
class DaemonKilledMidSessionTest {
  private static final int IMAGE_BYTES = 16 << 20;
  private static final int RECEIVERS = 3;

  /** 16 MiB take about 4.5 s at this rate: time enough to kill the sender mid-pass. */
  private static final int RATE_MBPS = 30;

  private static final byte[] IMAGE = TestContentServer.bytes(IMAGE_BYTES, 4242);
  private static final String SHA256 = TestContentServer.sha256(IMAGE);
  private static final long BLOCKS =
      (IMAGE_BYTES + WireFormat.DEFAULT_BLOCK_SIZE - 1) / WireFormat.DEFAULT_BLOCK_SIZE;

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<DaemonProcess> daemons = new ArrayList<>();
  private final ExecutorService receivers = Executors.newFixedThreadPool(RECEIVERS);
  private TestContentServer source;

  /** The distribution point's machine-token keys, as both nodes have the Secret mounted. */
  private Path keys;

  /** A machine's token, signed with those keys: both nodes accept it. */
  private String token;

  private TestTokenKeys shared;

  @BeforeEach
  void start() throws Exception {
    source = new TestContentServer().serve("/win11.wim", IMAGE);
    shared = TestTokenKeys.create(dir.resolve("machine-tokens"));
    keys = shared.dir();
    token = shared.token("52:54:00:00:00:01", "win11");
  }

  @AfterEach
  void stop() {
    receivers.shutdownNow();
    daemons.forEach(DaemonProcess::kill);
    source.close();
  }

  @Test
  void receiversFinishFromAnotherNodeWhenTheSendingDaemonIsKilled() throws Exception {
    DaemonProcess a = daemon("node-a", true).start();
    DaemonProcess b = daemon("node-b", false).start();
    a.awaitServing();
    b.awaitServing();

    List<CompletableFuture<ImageDownload.Outcome>> downloads = receive(a.url, List.of(b.url));
    a.awaitMulticastBytes(IMAGE_BYTES * 3L / 10);
    a.killHard();

    for (int i = 0; i < RECEIVERS; i++) {
      ImageDownload.Outcome outcome = downloads.get(i).get(90, TimeUnit.SECONDS);
      assertFinishedByUnicastFrom(b.url, i, outcome);
    }
    assertTrue(a.log().contains("multicast send start"), "node-a was sending: " + a.log());
  }

  @Test
  void receiversFinishFromTheKilledDaemonOnceItIsRestarted() throws Exception {
    DaemonProcess a = daemon("node-a", true).start();
    a.awaitServing();

    List<CompletableFuture<ImageDownload.Outcome>> downloads = receive(a.url, List.of());
    a.awaitMulticastBytes(IMAGE_BYTES * 3L / 10);
    a.killHard();
    // Past the receivers' sender-lost timeout: they are asking for the rest by unicast, and are
    // refused, while the node is away.
    Thread.sleep(MulticastReceiver.Config.SENDER_LOST_TIMEOUT.toMillis() + 3_000);
    for (CompletableFuture<ImageDownload.Outcome> d : downloads) {
      assertFalse(d.isDone(), "nothing can finish while the only node is down: " + d);
    }
    a.start();

    for (int i = 0; i < RECEIVERS; i++) {
      ImageDownload.Outcome outcome = downloads.get(i).get(90, TimeUnit.SECONDS);
      assertFinishedByUnicastFrom(a.url, i, outcome);
    }
    assertTrue(
        a.log().contains("image win11 verified earlier"),
        "the restarted node served its recorded copy: " + a.log());
  }

  private void assertFinishedByUnicastFrom(URI server, int i, ImageDownload.Outcome outcome)
      throws Exception {
    assertTrue(outcome.verified(), "receiver " + i + ": " + outcome);
    assertEquals("multicast+unicast", outcome.detail(), "receiver " + i + ": " + outcome);
    assertTrue(
        outcome.multicastBlocks() > 0 && outcome.multicastBlocks() < BLOCKS,
        "receiver " + i + " got part of the image by multicast: " + outcome);
    assertTrue(
        outcome.unicastBytes() > 0 && outcome.unicastBytes() < IMAGE_BYTES,
        "receiver " + i + " fetched only the rest by unicast: " + outcome);
    assertEquals(List.of(server), outcome.unicastFrom(), "receiver " + i);
    assertEquals(SHA256, sha256(target(i)), "receiver " + i + " holds the exact image");
  }

  private List<CompletableFuture<ImageDownload.Outcome>> receive(URI server, List<URI> others)
      throws Exception {
    NetworkInterface lo = NetworkInterface.getByName("lo");
    List<CompletableFuture<ImageDownload.Outcome>> downloads = new ArrayList<>();
    for (int i = 0; i < RECEIVERS; i++) {
      // Each receiver is its own machine, with its own token: a token joins as its machine only.
      String mac = "52:54:00:00:01:0" + i;
      String own = shared.token(mac, "win11");
      ImageDownload.Request request =
          new ImageDownload.Request(
                  server,
                  "win11",
                  mac,
                  target(i),
                  0,
                  lo,
                  true,
                  false,
                  // Far beyond the test: what ends multicast here is the sender falling silent.
                  Duration.ofMinutes(10),
                  SHA256)
              .withOtherServers(others, Duration.ofSeconds(60));
      downloads.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return new ImageDownload(null, () -> own).fetch(request);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              },
              receivers));
    }
    return downloads;
  }

  private Path target(int i) {
    return dir.resolve("receiver-" + i + ".img");
  }

  private DaemonProcess daemon(String node, boolean multicast) throws IOException {
    String sessions =
        multicast
            ? """
              , "multicast": {"enabled": true, "maxRateMbps": %d,
                 "addressRange": {"start": "239.255.83.1", "end": "239.255.83.9"},
                 "portRange": {"start": 44300, "end": 44309},
                 "sessionStart": {"minClients": %d, "maxWaitSeconds": 30}}"""
                .formatted(RATE_MBPS, RECEIVERS)
            : "";
    Path config = dir.resolve(node + ".json");
    Files.writeString(
        config,
        """
        {"namespace": "site", "distributionPoint": "berlin", "generation": 1,
         "contentPath": "/unused", "httpPort": 9080,
         "images": [{"name": "win11", "url": "%s", "sha256": "%s", "sizeBytes": %d}]%s}
        """
            .formatted(source.url("/win11.wim"), SHA256, IMAGE_BYTES, sessions));
    DaemonProcess d = new DaemonProcess(node, config, dir.resolve(node), freePort());
    daemons.add(d);
    return d;
  }

  /** The daemon's main in a JVM of its own, restartable on the same port and content path. */
  private final class DaemonProcess {
    final String node;
    final Path config;
    final Path content;
    final int port;
    final URI url;
    final File log;
    Process process;

    DaemonProcess(String node, Path config, Path content, int port) {
      this.node = node;
      this.config = config;
      this.content = content;
      this.port = port;
      this.url = URI.create("http://127.0.0.1:" + port);
      this.log = dir.resolve(node + ".log").toFile();
    }

    DaemonProcess start() throws IOException {
      List<String> command =
          List.of(
              Path.of(System.getProperty("java.home"), "bin", "java").toString(),
              "-Xmx256m",
              "-XX:+UseSerialGC",
              "-cp",
              System.getProperty("java.class.path"),
              Main.class.getName(),
              "--config",
              config.toString(),
              "--node",
              node,
              "--http-port",
              String.valueOf(port),
              "--content-path",
              content.toString(),
              "--bind-address",
              "127.0.0.1",
              "--advertise-address",
              "127.0.0.1",
              "--token-keys",
              keys.toString());
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log));
      // Never the API: the node's status is not what this test looks at.
      builder.environment().remove("KUBERNETES_SERVICE_HOST");
      builder.environment().remove("KUBECONFIG");
      process = builder.start();
      return this;
    }

    void awaitServing() {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                assertTrue(process.isAlive(), node + " exited: " + log());
                return status("/content/win11") == 200;
              });
    }

    void awaitMulticastBytes(long bytes) {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> multicastBytesSent() >= bytes);
    }

    /** SIGKILL: the process gets no chance to end its session or close anything. */
    void killHard() throws InterruptedException {
      process.destroyForcibly();
      assertTrue(process.waitFor(10, TimeUnit.SECONDS), node + " did not die");
      assertEquals(128 + 9, process.exitValue(), node + " was killed by SIGKILL");
    }

    void kill() {
      if (process != null) {
        process.destroyForcibly();
      }
    }

    String log() throws IOException {
      return Files.readString(log.toPath());
    }

    private int status(String path) {
      try {
        return http.send(
                HttpRequest.newBuilder(url.resolve(path))
                    .header("Authorization", "Bearer " + token)
                    .method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .timeout(Duration.ofSeconds(2))
                    .build(),
                HttpResponse.BodyHandlers.discarding())
            .statusCode();
      } catch (IOException | InterruptedException e) {
        return -1;
      }
    }

    private long multicastBytesSent() throws Exception {
      String metrics =
          http.send(
                  HttpRequest.newBuilder(url.resolve("/metrics")).build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      return metrics
          .lines()
          .filter(l -> l.startsWith("osdeploy_multicast_bytes_sent_total "))
          .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1).trim()))
          .findFirst()
          .orElse(0);
    }
  }

  private static String sha256(Path file) throws Exception {
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    try (var in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        d.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(d.digest());
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
