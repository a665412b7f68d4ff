package io.osdeploy.daemon;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.api.v1alpha1.ImageState.Phase;
import io.osdeploy.api.v1alpha1.NodeStatus;
import io.osdeploy.daemon.config.ConfigFileSource;
import io.osdeploy.daemon.report.NodeReport;
import io.osdeploy.daemon.report.NodeStatusWriter;
import io.osdeploy.daemon.testing.OpensslCa;
import io.osdeploy.daemon.testing.Prerequisites;
import io.osdeploy.daemon.testing.TestContentServer;
import io.osdeploy.transfer.receive.ImageDownload;
import io.osdeploy.transfer.receive.MulticastReceiver;
import io.osdeploy.transfer.receive.ReceiveResult;
import io.osdeploy.transfer.wire.JoinTicket;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon as a whole, configured from a file: what a node's clients and the API see. */
class DaemonTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Duration WAITING = Duration.ofMillis(20);
  private static final byte[] IMAGE = TestContentServer.bytes(500_000, 77);

  @TempDir Path dir;
  private final List<NodeReport> reports = new CopyOnWriteArrayList<>();
  private final HttpClient client = HttpClient.newHttpClient();
  private TestContentServer source;
  private Daemon daemon;
  private Path configFile;

  @BeforeEach
  void start() throws Exception {
    source = new TestContentServer().serve("/win11.wim", IMAGE);
    NodeStatusWriter writer =
        new NodeStatusWriter() {
          @Override
          public Optional<NodeStatus> read(String namespace, String dp, String node) {
            return Optional.empty();
          }

          @Override
          public void apply(NodeReport report) {
            reports.add(report);
          }
        };
    daemon =
        new Daemon(
            new DaemonSettings(
                "node-a",
                "0.1.0-test",
                "127.0.0.1",
                "127.0.0.1",
                0,
                null,
                Duration.ofMillis(100),
                Duration.ofMillis(100)),
            writer,
            null);
    daemon.start();
    configFile = dir.resolve("daemon.json");
  }

  @AfterEach
  void stop() {
    daemon.close();
    source.close();
  }

  @Test
  void notReadyUntilAValidConfigurationArrives() throws Exception {
    daemon.addConfigSource(new ConfigFileSource(configFile, daemon.configTracker(), WAITING));
    assertEquals(200, get("/healthz").statusCode());
    assertEquals(503, get("/readyz").statusCode());

    Files.writeString(configFile, "{\"namespace\": \"site\"}");
    Files.writeString(configFile, config(1, true));

    await().atMost(WAIT).until(() -> get("/readyz").statusCode() == 200);
  }

  @Test
  void pullsServesAndReportsTheAssignedImage() throws Exception {
    Files.writeString(configFile, config(3, true));
    daemon.addConfigSource(new ConfigFileSource(configFile, daemon.configTracker(), WAITING));

    await().atMost(WAIT).until(() -> get("/content/win11").statusCode() == 200);
    HttpResponse<byte[]> content = get("/content/win11");
    assertArrayEquals(IMAGE, content.body());
    assertEquals(
        "\"" + TestContentServer.sha256(IMAGE) + "\"",
        content.headers().firstValue("ETag").orElseThrow());

    await().atMost(WAIT).until(() -> lastReportedPhase().equals(Optional.of(Phase.Verified)));
    NodeReport last = reports.get(reports.size() - 1);
    assertEquals("site/berlin", last.key());
    assertEquals("node-a", last.node().getName());
    assertEquals("0.1.0-test", last.node().getDaemonVersion());
    assertEquals(3L, last.node().getConfigGeneration());
    assertEquals("http://127.0.0.1:" + daemon.httpAddress().getPort(), last.node().getEndpoint());
    String status = new String(get("/v1/status").body());
    assertTrue(status.contains("\"state\":\"Verified\""), status);
  }

  @Test
  void servesHttpsOnceItsCertificateIsMountedAndReportsTheEndpoint() throws Exception {
    Prerequisites.require(OpensslCa.available(), "openssl (Debian package openssl)");
    int httpsPort;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      httpsPort = free.getLocalPort();
    }
    Path tls = dir.resolve("tls");
    String withTls =
        config(1, false)
            .replace(
                "\"httpPort\": 9080,",
                "\"httpPort\": 9080, \"httpsPort\": %d, \"tlsDirectory\": \"%s\","
                    .formatted(httpsPort, tls));
    Files.writeString(configFile, withTls);
    daemon.addConfigSource(new ConfigFileSource(configFile, daemon.configTracker(), WAITING));
    await().atMost(WAIT).until(() -> get("/readyz").statusCode() == 200);
    assertNull(daemon.nodeStatus().getHttpsEndpoint(), "no certificate yet: HTTP only");

    // The Secret appears (or the kubelet updates it): the daemon picks it up by itself.
    OpensslCa ca = OpensslCa.create(dir.resolve("ca"), "site CA");
    ca.issue(tls, "127.0.0.1");
    String expected = "https://127.0.0.1:" + httpsPort;
    await()
        .atMost(Duration.ofSeconds(Daemon.TLS_CHECK_SECONDS * 3))
        .until(() -> expected.equals(daemon.nodeStatus().getHttpsEndpoint()));
    await()
        .atMost(WAIT)
        .until(() -> expected.equals(reports.get(reports.size() - 1).node().getHttpsEndpoint()));
    HttpClient https = HttpClient.newBuilder().sslContext(ca.clientContext()).build();
    HttpResponse<String> health =
        https.send(
            java.net.http.HttpRequest.newBuilder(URI.create(expected + "/healthz")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, health.statusCode());

    // Without httpsPort the listener goes, and so does the reported endpoint.
    Files.writeString(configFile, config(2, false));
    await().atMost(WAIT).until(() -> daemon.nodeStatus().getHttpsEndpoint() == null);
  }

  @Test
  void keepsServingWhenTheConfigurationTurnsInvalidAndDropsAnUnassignedImage() throws Exception {
    Files.writeString(configFile, config(1, true));
    daemon.addConfigSource(new ConfigFileSource(configFile, daemon.configTracker(), WAITING));
    await().atMost(WAIT).until(() -> get("/content/win11").statusCode() == 200);

    String misspelt = config(2, true).replace("\"namespace\"", "\"namespaec\"");
    assertFalse(daemon.configTracker().accept("test", misspelt));
    assertEquals(200, get("/content/win11").statusCode());
    assertEquals(200, get("/readyz").statusCode());
    assertEquals(1, daemon.configTracker().current().orElseThrow().getGeneration());

    Files.writeString(configFile, config(3, false));
    await().atMost(WAIT).until(() -> get("/content/win11").statusCode() == 404);
    await().atMost(WAIT).until(() -> !Files.exists(dir.resolve("content").resolve("win11")));
    await().atMost(WAIT).until(() -> reports.get(reports.size() - 1).node().getImages().isEmpty());
  }

  @Test
  void receiversJoinThroughTheControlEndpointAndGetTheImageByMulticast() throws Exception {
    String multicast =
        """
        , "multicast": {"enabled": true,
           "addressRange": {"start": "239.255.77.1", "end": "239.255.77.9"},
           "portRange": {"start": 41000, "end": 41009},
           "sessionStart": {"minClients": 1, "maxWaitSeconds": 5}}}
        """;
    String withMulticast = config(1, true).stripTrailing();
    withMulticast = withMulticast.substring(0, withMulticast.length() - 1) + multicast;
    Files.writeString(configFile, withMulticast);
    daemon.addConfigSource(new ConfigFileSource(configFile, daemon.configTracker(), WAITING));
    await().atMost(WAIT).until(() -> get("/content/win11").statusCode() == 200);

    HttpResponse<byte[]> answer = post("/v1/multicast/join?image=win11&client=52:54:00:00:00:02");
    assertEquals(200, answer.statusCode(), new String(answer.body()));
    JoinTicket ticket = new ObjectMapper().readValue(answer.body(), JoinTicket.class);
    assertEquals(TestContentServer.sha256(IMAGE), ticket.sha256());
    assertTrue(ticket.group().startsWith("239.255.77."), ticket.group());
    assertTrue(ticket.port() >= 41000 && ticket.port() <= 41009, "port " + ticket.port());

    Path received = dir.resolve("received.img");
    MulticastReceiver receiver =
        new MulticastReceiver(
            MulticastReceiver.Config.fromTicket(ticket, NetworkInterface.getByName("lo")),
            received);
    try {
      ReceiveResult result = receiver.start().get(60, TimeUnit.SECONDS);
      assertEquals(ReceiveResult.Outcome.VERIFIED, result.outcome());
      assertArrayEquals(IMAGE, Files.readAllBytes(received));
    } finally {
      receiver.close();
    }
    assertEquals(404, post("/v1/multicast/join?image=win10").statusCode());

    // The session shows in the metrics, in Prometheus' text format.
    HttpResponse<byte[]> metrics = get("/metrics");
    assertEquals(200, metrics.statusCode());
    assertTrue(
        metrics
            .headers()
            .firstValue("Content-Type")
            .orElse("")
            .startsWith("text/plain; version=0.0.4"));
    String text = new String(metrics.body(), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(text.contains("osdeploy_multicast_clients_joined_total 1.0\n"), text);
    assertTrue(text.contains("osdeploy_multicast_joins_refused_total 1.0\n"), text);
    assertTrue(text.contains("osdeploy_images{state=\"Verified\"} 1.0\n"), text);
    long sent =
        text.lines()
            .filter(l -> l.startsWith("osdeploy_multicast_bytes_sent_total "))
            .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1)))
            .findFirst()
            .orElse(0);
    assertTrue(sent >= IMAGE.length, "bytes sent " + sent);
    // Once the sender has heard every receiver verify, the session's time is in its histogram.
    await()
        .atMost(WAIT)
        .until(
            () ->
                new String(get("/metrics").body(), java.nio.charset.StandardCharsets.UTF_8)
                    .contains(
                        "osdeploy_multicast_session_duration_seconds_count{reason=\"all_verified\"}"
                            + " 1\n"));
  }

  @Test
  void aReceiverFinishesByUnicastWhatMulticastDidNotBring() throws Exception {
    // 500 kB at 1 Mbit/s takes over 4 s by multicast, its first section (358,400 bytes) about
    // 3 s; the receiver gives it 3.6 s, keeps the section that matched its digest and fetches
    // the rest.
    startWithMulticast("\"maxRateMbps\": 1,");
    ImageDownload.Outcome outcome = download(false, Duration.ofMillis(3600));
    assertTrue(outcome.verified(), outcome.toString());
    assertEquals("multicast+unicast", outcome.detail(), outcome.toString());
    assertTrue(outcome.multicastBlocks() > 0, outcome.toString());
    assertTrue(outcome.unicastBytes() < IMAGE.length, "only the gaps by unicast: " + outcome);
    assertArrayEquals(IMAGE, Files.readAllBytes(dir.resolve("fetched.img")));
  }

  @Test
  void withoutMulticastTheImageComesByUnicastUnlessItIsMulticastOnly() throws Exception {
    Files.writeString(configFile, config(1, true));
    daemon.addConfigSource(new ConfigFileSource(configFile, daemon.configTracker(), WAITING));
    await().atMost(WAIT).until(() -> get("/content/win11").statusCode() == 200);

    ImageDownload.Outcome unicast = download(false, Duration.ofSeconds(10));
    assertTrue(unicast.verified(), unicast.toString());
    assertEquals(0, unicast.multicastBlocks());
    assertEquals(IMAGE.length, unicast.unicastBytes());
    assertArrayEquals(IMAGE, Files.readAllBytes(dir.resolve("fetched.img")));

    ImageDownload.Outcome refused = download(true, Duration.ofSeconds(10));
    assertFalse(refused.verified(), refused.toString());
    assertEquals(0, refused.unicastBytes());
  }

  @Test
  void aMulticastOnlyImageIsNeverServedByUnicastAndArrivesByMulticast() throws Exception {
    String images =
        """
        [{"name": "win11", "url": "%s", "sha256": "%s", "sizeBytes": %d,
          "multicast": {"allowed": true, "multicastOnly": true}}]"""
            .formatted(source.url("/win11.wim"), TestContentServer.sha256(IMAGE), IMAGE.length);
    Files.writeString(
        configFile,
        """
        {"namespace": "site", "distributionPoint": "berlin", "generation": 1,
         "contentPath": "%s", "httpPort": 9080, "images": %s,
         "multicast": {"enabled": true,
           "addressRange": {"start": "239.255.79.1", "end": "239.255.79.9"},
           "portRange": {"start": 43000, "end": 43009},
           "sessionStart": {"minClients": 1, "maxWaitSeconds": 5}}}
        """
            .formatted(dir.resolve("content"), images));
    daemon.addConfigSource(new ConfigFileSource(configFile, daemon.configTracker(), WAITING));
    await().atMost(WAIT).until(() -> lastReportedPhase().equals(Optional.of(Phase.Verified)));

    HttpResponse<byte[]> refused = get("/content/win11");
    assertEquals(403, refused.statusCode());
    assertTrue(new String(refused.body()).contains("multicastOnly"), new String(refused.body()));

    ImageDownload.Outcome outcome = download(true, Duration.ofSeconds(60));
    assertTrue(outcome.verified(), outcome.toString());
    assertEquals("multicast", outcome.detail());
    assertEquals(0, outcome.unicastBytes());
    assertArrayEquals(IMAGE, Files.readAllBytes(dir.resolve("fetched.img")));
  }

  @Test
  void aReceiverFinishesByUnicastOntoADisk() throws Exception {
    // A whole-disk target is a block device: it has its own size, and cannot be cut to the
    // image's as a file is. A loop device over a 1 MiB file stands in for the machine's disk.
    io.osdeploy.daemon.testing.Prerequisites.require(
        io.osdeploy.daemon.testing.Prerequisites.root(), "root (a loop device)");
    java.nio.file.Path backing = dir.resolve("disk.raw");
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(backing.toFile(), "rw")) {
      f.setLength(1 << 20);
    }
    Process losetup =
        new ProcessBuilder("losetup", "--find", "--show", backing.toString())
            .redirectErrorStream(true)
            .start();
    String device = new String(losetup.getInputStream().readAllBytes()).strip();
    assertEquals(0, losetup.waitFor(), device);
    try {
      startWithMulticast("\"maxRateMbps\": 1,");
      ImageDownload.Outcome outcome =
          download(false, Duration.ofMillis(3600), java.nio.file.Path.of(device));
      assertTrue(outcome.verified(), outcome.toString());
      assertEquals("multicast+unicast", outcome.detail(), outcome.toString());
      byte[] disk = Files.readAllBytes(backing);
      assertEquals(1 << 20, disk.length, "the disk keeps its size");
      assertArrayEquals(IMAGE, java.util.Arrays.copyOf(disk, IMAGE.length));
    } finally {
      new ProcessBuilder("losetup", "--detach", device).start().waitFor();
    }
  }

  /**
   * The session secret goes to the machine that joins, in its ticket, and nowhere else: not in the
   * daemon's log (while sessions start, run and end), its node status, /v1/status or /metrics.
   */
  @Test
  void theSessionSecretAppearsOnlyInTheJoinersTicket() throws Exception {
    java.io.PrintStream err = System.err;
    java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8));
    String secret;
    try {
      startWithMulticast("");
      HttpResponse<byte[]> ticket = post("/v1/multicast/join?image=win11&client=52-54-00-00-00-02");
      assertEquals(200, ticket.statusCode());
      secret =
          new com.fasterxml.jackson.databind.ObjectMapper()
              .readTree(ticket.body())
              .path("secret")
              .asText();
      assertTrue(secret.length() >= 40, "a 32-byte secret in base64: " + secret);
      // A whole transfer in the same session: start, data, repair, end are all logged.
      ImageDownload.Outcome outcome = download(false, Duration.ofSeconds(30));
      assertTrue(outcome.verified(), outcome.toString());
    } finally {
      System.setErr(err);
    }
    String hex = java.util.HexFormat.of().formatHex(java.util.Base64.getDecoder().decode(secret));
    String logged = log.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(logged.contains("multicast session start"), "the log was captured: " + logged);
    String status = new String(get("/v1/status").body());
    String metrics = new String(get("/metrics").body());
    String reported =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .writeValueAsString(reports.stream().map(NodeReport::node).toList());
    assertTrue(reported.contains("win11"), "the node's reports were captured: " + reported);
    for (String where : List.of(logged, status, metrics, reported)) {
      assertFalse(where.contains(secret), "the secret (base64) leaked");
      assertFalse(where.contains(hex), "the secret (hex) leaked");
    }
  }

  private void startWithMulticast(String extra) throws Exception {
    String multicast =
        """
        , "multicast": {"enabled": true, %s
           "addressRange": {"start": "239.255.78.1", "end": "239.255.78.9"},
           "portRange": {"start": 42000, "end": 42009},
           "sessionStart": {"minClients": 1, "maxWaitSeconds": 5}}}
        """
            .formatted(extra);
    String withMulticast = config(1, true).stripTrailing();
    withMulticast = withMulticast.substring(0, withMulticast.length() - 1) + multicast;
    Files.writeString(configFile, withMulticast);
    daemon.addConfigSource(new ConfigFileSource(configFile, daemon.configTracker(), WAITING));
    await().atMost(WAIT).until(() -> get("/content/win11").statusCode() == 200);
  }

  private ImageDownload.Outcome download(boolean multicastOnly, Duration multicastTimeout)
      throws Exception {
    return download(multicastOnly, multicastTimeout, dir.resolve("fetched.img"));
  }

  private ImageDownload.Outcome download(
      boolean multicastOnly, Duration multicastTimeout, java.nio.file.Path target)
      throws Exception {
    return new ImageDownload(null, this::token)
        .fetch(
            new ImageDownload.Request(
                URI.create("http://127.0.0.1:" + daemon.httpAddress().getPort()),
                "win11",
                "52:54:00:00:00:02",
                target,
                NetworkInterface.getByName("lo"),
                multicastOnly,
                multicastTimeout));
  }

  /** A token this node issued to a machine whose deployment applies win11. */
  private String token() {
    return daemon
        .tokens()
        .issue(
            "52:54:00:00:00:02", null, "pxe", List.of("win11-rollout"), List.of("win11", "win10"));
  }

  private HttpResponse<byte[]> post(String path) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + daemon.httpAddress().getPort() + path);
    return client.send(
        HttpRequest.newBuilder(uri)
            .header("Authorization", "Bearer " + token())
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private Optional<Phase> lastReportedPhase() {
    if (reports.isEmpty() || reports.get(reports.size() - 1).node().getImages().isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(reports.get(reports.size() - 1).node().getImages().get(0).getState());
  }

  @Test
  void pullsADistributionPointsOwnBootEnvironmentAndServesOnlyVerifiedBytes() throws Exception {
    byte[] kernel = TestContentServer.bytes(70_000, 5);
    byte[] initrd = TestContentServer.bytes(90_000, 6);
    source.serve("/vmlinuz", kernel).serve("/initrd.img", initrd);
    String wrong = "0".repeat(64);
    Files.writeString(
        configFile, withBootEnvironment(config(4, false), TestContentServer.sha256(kernel), wrong));
    daemon.addConfigSource(new ConfigFileSource(configFile, daemon.configTracker(), WAITING));
    await().atMost(WAIT).until(() -> get("/boot/vmlinuz").statusCode() == 200);
    assertArrayEquals(kernel, get("/boot/vmlinuz").body(), "the node's verified copy");
    assertEquals(404, get("/boot/initrd.img").statusCode(), "bytes that do not match: never");
    await("the node reporting the initramfs that failed its check")
        .atMost(WAIT)
        .until(
            () ->
                !reports.isEmpty()
                    && reports.get(reports.size() - 1).node().getBootEnvironment().stream()
                        .anyMatch(
                            s ->
                                s.getName().equals("initrd.img")
                                    && s.getState() == Phase.Failed
                                    && ImageState.CHECKSUM_MISMATCH.equals(s.getReason())));

    Files.writeString(
        configFile,
        withBootEnvironment(
            config(5, false), TestContentServer.sha256(kernel), TestContentServer.sha256(initrd)));
    await().atMost(WAIT).until(() -> get("/boot/initrd.img").statusCode() == 200);
    assertArrayEquals(initrd, get("/boot/initrd.img").body());
    assertEquals(
        1,
        source.requests().stream().filter(r -> r.path().equals("/vmlinuz")).count(),
        "each file is pulled once, then served from the node");
    await("the node reporting both files verified")
        .atMost(WAIT)
        .until(
            () ->
                reports.get(reports.size() - 1).node().getBootEnvironment().stream()
                        .filter(s -> s.getState() == Phase.Verified)
                        .count()
                    == 2);
  }

  private String withBootEnvironment(String config, String kernelSha, String initrdSha) {
    return config.replace(
        "\"images\":",
        """
        "bootEnvironment": {"kernelUrl": "%s", "kernelSha256": "%s",
                            "initrdUrl": "%s", "initrdSha256": "%s", "args": "quiet"},
         "images":"""
            .formatted(source.url("/vmlinuz"), kernelSha, source.url("/initrd.img"), initrdSha));
  }

  private String config(long generation, boolean withImage) {
    String images =
        withImage
            ? """
              [{"name": "win11", "url": "%s", "sha256": "%s", "sizeBytes": %d}]"""
                .formatted(source.url("/win11.wim"), TestContentServer.sha256(IMAGE), IMAGE.length)
            : "[]";
    return """
        {"namespace": "site", "distributionPoint": "berlin", "generation": %d,
         "contentPath": "%s", "httpPort": 9080, "images": %s}
        """
        .formatted(generation, dir.resolve("content"), images);
  }

  private HttpResponse<byte[]> get(String path) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + daemon.httpAddress().getPort() + path);
    return client.send(
        HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token()).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }
}
