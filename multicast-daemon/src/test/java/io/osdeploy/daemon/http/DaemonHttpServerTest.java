package io.osdeploy.daemon.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.api.v1alpha1.MachineProgress;
import io.osdeploy.api.v1alpha1.NodeStatus;
import io.osdeploy.auth.MediaPassword;
import io.osdeploy.daemon.auth.MachineAccess;
import io.osdeploy.daemon.auth.MachineTokens;
import io.osdeploy.daemon.boot.BootEnvironmentFilesTest;
import io.osdeploy.daemon.content.VerifiedFile;
import io.osdeploy.daemon.multicast.JoinRefusedException;
import io.osdeploy.daemon.policy.MediaPasswords;
import io.osdeploy.daemon.policy.PolicyBook;
import io.osdeploy.daemon.progress.AgentReport;
import io.osdeploy.daemon.progress.ProgressCollector;
import io.osdeploy.daemon.testing.OpensslCa;
import io.osdeploy.daemon.testing.Prerequisites;
import io.osdeploy.daemon.testing.TestContentServer;
import io.osdeploy.daemon.userstate.UserStateStore;
import io.osdeploy.transfer.wire.JoinTicket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonHttpServerTest {
  private static final byte[] BYTES = TestContentServer.bytes(200_000, 42);
  private static final String SHA = TestContentServer.sha256(BYTES);
  private static final String ETAG = "\"" + SHA + "\"";

  @TempDir Path dir;
  private final AtomicBoolean ready = new AtomicBoolean();
  private final AtomicBoolean tlsRequired = new AtomicBoolean();
  private final NodeStatus status = new NodeStatus();
  private final HttpClient client = HttpClient.newHttpClient();
  private final List<AgentReport> reports = new CopyOnWriteArrayList<>();
  private final MediaPasswords passwords = new MediaPasswords();
  private DaemonHttpServer server;
  private int port;
  private final PolicyBook userStatePolicy = new PolicyBook();
  private final UserStateStore userState = new UserStateStore(userStatePolicy, 1 << 20);
  private final io.osdeploy.daemon.capture.CaptureStore captures =
      new io.osdeploy.daemon.capture.CaptureStore(userStatePolicy, 1 << 20, 3 << 20);
  private final List<io.osdeploy.daemon.capture.CaptureStore.Stored> kept =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final MachineTokens tokens = new MachineTokens();
  private final MachineAccess access = new MachineAccess(tokens, userStatePolicy);

  /** The token of the machine most requests here come from: every deployment the stubs know. */
  private final String machine =
      tokens.issue(
          "52:54:00:ab:cd:ef",
          null,
          "pxe",
          List.of("win11-rollout", "other-site", "nowhere", "disk-full", "x"),
          List.of("win11", "win10"));

  /** A token for the machine the user-state query names, for the user-state deployments. */
  private String userStateToken(String query) {
    java.util.regex.Matcher mac =
        java.util.regex.Pattern.compile("mac=([0-9a-fA-F:-]{17})").matcher(query);
    String normalized =
        io.osdeploy.api.v1alpha1.MacAddress.parse(mac.find() ? mac.group(1) : null, "mac");
    return tokens.issue(
        normalized,
        null,
        "pxe",
        List.of("capture-old", "restore-new", "elsewhere", "build-capture"),
        List.of());
  }

  @BeforeEach
  void start() throws Exception {
    server = new DaemonHttpServer(endpoints());
    port = server.listen("127.0.0.1", 0).getPort();
  }

  private HttpEndpoints endpoints() throws IOException {
    Path file = dir.resolve(SHA);
    Files.write(file, BYTES);
    return endpoints(new VerifiedFile("win11", SHA, file, BYTES.length));
  }

  private HttpEndpoints endpoints(VerifiedFile win11) throws IOException {
    status.setName("node-a");
    status.setImages(List.of(new ImageState("win11", SHA, ImageState.Phase.Verified)));
    return new HttpEndpoints(
        ready::get,
        () -> status,
        image -> image.equals("win11") ? Optional.of(win11) : Optional.empty(),
        request ->
            new io.osdeploy.policy.PolicyDocument(
                new io.osdeploy.policy.PolicyDocument.Machine(request.mac(), null),
                "pxe",
                List.of()),
        (request, secure) ->
            "#!ipxe\necho "
                + request.source()
                + " "
                + request.mac()
                + (secure ? " over https" : "")
                + "\n",
        (request, media) -> request,
        report -> {
          reports.add(report);
          return CompletableFuture.completedFuture(
              switch (report.deployment()) {
                case "win11-rollout" -> ProgressCollector.Outcome.ACCEPTED;
                case "other-site" -> ProgressCollector.Outcome.NOT_TARGETED;
                case "disk-full" -> ProgressCollector.Outcome.NOT_STORED;
                default -> ProgressCollector.Outcome.UNKNOWN_DEPLOYMENT;
              });
        },
        passwords,
        (image, client, from) -> {
          if (!image.equals("win11")) {
            throw new JoinRefusedException(
                JoinRefusedException.Reason.UNKNOWN_IMAGE, "no verified copy of " + image);
          }
          return new JoinTicket(
              7,
              1,
              "239.1.1.1",
              40000,
              "c2VjcmV0",
              "ZmVlZGJhY2s=",
              "c2VuZGVy",
              false,
              image,
              BYTES.length,
              SHA,
              1400,
              256,
              "ZGlnZXN0cw==",
              64,
              100,
              JoinTicket.StartState.WAITING,
              "2026-11-23T10:00:00Z");
        },
        () -> "osdeploy_test_total 7\n",
        userState,
        BootEnvironmentFilesTest.write(dir.resolve("boot")),
        userStatePolicy::offered,
        access,
        tlsRequired::get,
        new HttpEndpoints.Captures(captures, () -> "http://127.0.0.1:" + port, "node-a"),
        secrets,
        (path, status, nanos) -> served.add(path + " " + status));
  }

  /** "path status" of each request the server timed. */
  private final List<String> served = new CopyOnWriteArrayList<>();

  private final io.osdeploy.daemon.secrets.DeploymentSecretFiles secrets =
      new io.osdeploy.daemon.secrets.DeploymentSecretFiles();

  @Test
  void aStepsSecretsGoOnlyToAMachineItNamesWithItsOwnTokenOverHttps() throws Exception {
    Prerequisites.require(OpensslCa.available(), "openssl (Debian package openssl)");
    String join =
        String.join(
            "\n",
            "metadata: {name: win-join, namespace: site}",
            "spec:",
            "  taskSequence:",
            "    steps:",
            "      - {name: Settings, applyWindowsSettings: {administratorPassword: {name: admin}}}",
            "      - name: Join",
            "        joinDomain: {domain: corp.example.com, account: {name: joiner}}",
            "      - {name: Restart, restart: {}}",
            "  target:",
            "    machines: [{name: win-pc, mac: '52:54:00:00:00:07'}]",
            "    unknownComputers: true",
            "  availability: ClientsMediaAndPxe");
    userStatePolicy.publish(
        List.of(
            io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
                join, io.osdeploy.api.v1alpha1.TaskSequenceDeployment.class)),
        List.of());
    Path mounted = Files.createDirectories(dir.resolve("deployment-secrets"));
    Files.writeString(mounted.resolve("win-join.0.administratorPassword"), "Pa55 w\u00f6rd!");
    Files.writeString(mounted.resolve("win-join.1.username"), "CORP\\joiner");
    Files.writeString(mounted.resolve("win-join.1.password"), "j0in\"<&");
    String own = tokens.issue("52:54:00:00:00:07", null, "pxe", List.of("win-join"), List.of());
    OpensslCa ca = OpensslCa.create(dir.resolve("ca"), "site CA");
    Path tls = ca.issue(dir.resolve("tls"), "127.0.0.1");
    int httpsPort = server.listenTls("127.0.0.1", 0, TlsMaterial.load(tls).context()).getPort();
    HttpClient https = HttpClient.newBuilder().sslContext(ca.clientContext()).build();
    java.util.function.BiFunction<String, String, HttpResponse<byte[]>> secret =
        (query, token) -> {
          HttpRequest.Builder r =
              HttpRequest.newBuilder(
                  URI.create("https://127.0.0.1:" + httpsPort + "/v1/secrets?" + query));
          if (token != null) {
            r.header("Authorization", "Bearer " + token);
          }
          try {
            return https.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        };

    // Before the directory is known every value is "not yet".
    HttpResponse<byte[]> early = secret.apply("deployment=win-join&step=0", own);
    assertEquals(503, early.statusCode());
    assertEquals("10", early.headers().firstValue("Retry-After").orElseThrow());
    secrets.readFrom(mounted);

    HttpResponse<byte[]> password = secret.apply("deployment=win-join&step=0", own);
    assertEquals(200, password.statusCode(), new String(password.body(), StandardCharsets.UTF_8));
    assertEquals("no-store", password.headers().firstValue("Cache-Control").orElseThrow());
    assertEquals(
        Map.of("administratorPassword", "Pa55 w\u00f6rd!"),
        new com.fasterxml.jackson.databind.ObjectMapper().readValue(password.body(), Map.class));
    HttpResponse<byte[]> account = secret.apply("deployment=win-join&step=1", own);
    assertEquals(
        Map.of("username", "CORP\\joiner", "password", "j0in\"<&"),
        new com.fasterxml.jackson.databind.ObjectMapper().readValue(account.body(), Map.class));

    // Never over plain HTTP, even with the right token.
    HttpResponse<byte[]> plain =
        get("/v1/secrets?deployment=win-join&step=0", "Authorization", "Bearer " + own);
    assertEquals(403, plain.statusCode());
    assertTrue(new String(plain.body(), StandardCharsets.UTF_8).contains("only over HTTPS"));

    // A step without secrets, a malformed step, no token, a forged one, another machine's token,
    // and a token for the deployment held by a machine its target does not name: an unknown
    // computer, which anyone can claim to be.
    assertEquals(404, secret.apply("deployment=win-join&step=2", own).statusCode());
    assertEquals(400, secret.apply("deployment=win-join&step=x", own).statusCode());
    assertEquals(401, secret.apply("deployment=win-join&step=0", null).statusCode());
    assertEquals(401, secret.apply("deployment=win-join&step=0", "nonsense").statusCode());
    assertEquals(403, secret.apply("deployment=win-join&step=0", machine).statusCode());
    String stranger =
        tokens.issue("52:54:00:00:00:08", null, "pxe", List.of("win-join"), List.of());
    HttpResponse<byte[]> refused = secret.apply("deployment=win-join&step=0", stranger);
    assertEquals(403, refused.statusCode());
    assertTrue(
        !new String(refused.body(), StandardCharsets.UTF_8).contains("Pa55"),
        "a refusal carries no value");

    // A value the kubelet has not mounted yet: try again later, naming what is missing.
    Files.delete(mounted.resolve("win-join.1.password"));
    HttpResponse<byte[]> partial = secret.apply("deployment=win-join&step=1", own);
    assertEquals(503, partial.statusCode());
    assertTrue(new String(partial.body(), StandardCharsets.UTF_8).contains("[password]"));
  }

  @Test
  void connectionsAreBoundedPerAddressInTotalAndWhenIdle() throws Exception {
    try (DaemonHttpServer limited =
        new DaemonHttpServer(
            endpoints(), new ConnectionLimits.Limits(4, 2, java.time.Duration.ofSeconds(30)))) {
      int limitedPort = limited.listen("127.0.0.1", 0).getPort();
      List<Socket> held = new java.util.ArrayList<>();
      try {
        // Two from 127.0.0.1 are held (each counted before the next connects, so that the
        // refused one is the third); a third from there is closed at once.
        for (String source : List.of("127.0.0.1", "127.0.0.1")) {
          held.add(from(source, limitedPort));
          awaitOpen(limited, held.size());
        }
        assertClosedAtOnce(from("127.0.0.1", limitedPort));
        // Other addresses still get in, up to the total of four.
        for (String source : List.of("127.0.0.2", "127.0.0.3")) {
          held.add(from(source, limitedPort));
          awaitOpen(limited, held.size());
        }
        assertClosedAtOnce(from("127.0.0.4", limitedPort));
        ConnectionLimits.Counts counts = limited.connections();
        assertEquals(4, counts.open());
        assertEquals(1, counts.refusedPerAddress());
        assertEquals(1, counts.refusedTotal());
      } finally {
        for (Socket s : held) {
          s.close();
        }
      }
      // A connection that is used is served.
      HttpResponse<String> ok =
          client.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + limitedPort + "/healthz"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ok.statusCode());
    }
  }

  @Test
  void whenEveryPlaceIsTakenANewConnectionTakesTheLongestSilentOnesPlace() throws Exception {
    try (DaemonHttpServer limited =
        new DaemonHttpServer(
            endpoints(),
            new ConnectionLimits.Limits(
                2, 2, java.time.Duration.ofSeconds(30), java.time.Duration.ofSeconds(2)))) {
      int port = limited.listen("127.0.0.1", 0).getPort();
      try (Socket first = from("127.0.0.2", port)) {
        awaitOpen(limited, 1);
        Thread.sleep(100);
        try (Socket second = from("127.0.0.3", port)) {
          awaitOpen(limited, 2);
          // Both silent, but not yet for 2 s: a third is refused.
          assertClosedAtOnce(from("127.0.0.4", port));
          assertEquals(1, limited.connections().refusedTotal());
          Thread.sleep(2_500);
          // Now the first has been silent longest: the machine gets its place and is served.
          try (Socket machine = from("127.0.0.4", port)) {
            machine.setSoTimeout(10_000);
            machine
                .getOutputStream()
                .write(
                    "GET /healthz HTTP/1.1\r\nHost: dp\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
            String answer =
                new java.io.BufferedReader(
                        new java.io.InputStreamReader(
                            machine.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            assertEquals("HTTP/1.1 200 OK", answer);
          }
          first.setSoTimeout(10_000);
          assertEquals(-1, first.getInputStream().read(), "the longest silent was closed");
          assertEquals(1, limited.connections().evicted());
        }
      }
    }
  }

  /** A server whose win11 is {@code image}, closing connections silent for a second. */
  private DaemonHttpServer servingWithOneSecondIdle(byte[] image) throws IOException {
    String sha = TestContentServer.sha256(image);
    Path file = dir.resolve("big-" + sha);
    Files.write(file, image);
    return new DaemonHttpServer(
        endpoints(new VerifiedFile("win11", sha, file, image.length)),
        new ConnectionLimits.Limits(4, 2, java.time.Duration.ofSeconds(1)));
  }

  private void askForTheImage(Socket socket) throws IOException {
    socket
        .getOutputStream()
        .write(
            ("GET /content/win11 HTTP/1.1\r\nHost: dp\r\nAuthorization: Bearer "
                    + machine
                    + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void aDownloadSlowerThanTheIdleTimeoutIsNotCutOff() throws Exception {
    // 48 MiB sent as one zero-copy write to a reader taking about 7 s: only the output's
    // progress shows the connection is alive, for far longer than the 1 s idle timeout.
    byte[] big = TestContentServer.bytes(48 << 20, 7);
    String sha = TestContentServer.sha256(big);
    try (DaemonHttpServer slow = servingWithOneSecondIdle(big);
        Socket reader = from("127.0.0.1", slow.listen("127.0.0.1", 0).getPort())) {
      reader.setSoTimeout(10_000);
      askForTheImage(reader);
      java.io.InputStream in = reader.getInputStream();
      java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
      while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
        head.write(in.read());
      }
      assertTrue(
          head.toString(StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200"), head.toString());
      java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 20];
      long received = 0;
      while (received < big.length) {
        int n = in.readNBytes(buffer, 0, (int) Math.min(buffer.length, big.length - received));
        if (n <= 0) {
          break;
        }
        digest.update(buffer, 0, n);
        received += n;
        Thread.sleep(150);
      }
      assertEquals(big.length, received, "the whole image arrived");
      // (Once the last byte is in the kernel's buffers the connection is silent, and may be closed
      // while this reader still reads them.)
      assertEquals(sha, java.util.HexFormat.of().formatHex(digest.digest()));
    }
  }

  @Test
  void aReaderThatStopsReadingIsClosedWhenTheOutputStopsMoving() throws Exception {
    try (DaemonHttpServer limited = servingWithOneSecondIdle(TestContentServer.bytes(48 << 20, 8));
        Socket stalled = from("127.0.0.1", limited.listen("127.0.0.1", 0).getPort())) {
      askForTheImage(stalled);
      // It reads nothing: once the socket buffers are full the output stops moving.
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(20))
          .until(() -> limited.connections().idleClosed() == 1);
    }
  }

  @Test
  void aSilentConnectionIsClosedWhenIdle() throws Exception {
    try (DaemonHttpServer limited =
            new DaemonHttpServer(
                endpoints(), new ConnectionLimits.Limits(4, 2, java.time.Duration.ofSeconds(1)));
        Socket silent = from("127.0.0.1", limited.listen("127.0.0.1", 0).getPort())) {
      silent.setSoTimeout(20_000);
      assertEquals(-1, silent.getInputStream().read(), "closed by the daemon");
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(10))
          .until(() -> limited.connections().open() == 0);
      assertEquals(1, limited.connections().idleClosed());
    }
  }

  private static void awaitOpen(DaemonHttpServer server, int open) {
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> server.connections().open() == open);
  }

  /** A connection to the daemon on 127.0.0.1 from {@code source} (any 127.x address). */
  private static Socket from(String source, int port) throws IOException {
    return new Socket(
        java.net.InetAddress.getByName("127.0.0.1"),
        port,
        java.net.InetAddress.getByName(source),
        0);
  }

  private static void assertClosedAtOnce(Socket socket) throws IOException {
    try (socket) {
      socket.setSoTimeout(5_000);
      assertEquals(-1, socket.getInputStream().read(), "closed by the daemon");
    }
  }

  @Test
  void servesTheBootEnvironmentWithRangesAndNothingElseUnderBoot() throws Exception {
    HttpResponse<byte[]> kernel =
        client.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/boot/vmlinuz"))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, kernel.statusCode());
    assertArrayEquals(BootEnvironmentFilesTest.KERNEL, kernel.body());
    assertEquals(
        "\""
            + io.osdeploy.daemon.testing.TestContentServer.sha256(BootEnvironmentFilesTest.KERNEL)
            + "\"",
        kernel.headers().firstValue("etag").orElseThrow(),
        "its SHA-256 is its entity tag");
    HttpResponse<byte[]> part =
        client.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/boot/initrd.img"))
                .header("Range", "bytes=2-4")
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(206, part.statusCode());
    assertArrayEquals(
        java.util.Arrays.copyOfRange(BootEnvironmentFilesTest.INITRD, 2, 5), part.body());
    assertEquals(404, get("/boot/modules").statusCode(), "only the two files are served");
    assertEquals(400, get("/boot/..%2Fwin11").statusCode());
    assertEquals(404, get("/boot/win11").statusCode(), "images are not served under /boot/");
  }

  @Test
  void servesTheSameEndpointsOverHttpsAndTakesARenewedCertificate() throws Exception {
    Prerequisites.require(OpensslCa.available(), "openssl (Debian package openssl)");
    ready.set(true);
    OpensslCa ca = OpensslCa.create(dir.resolve("ca"), "site CA");
    Path tls = ca.issue(dir.resolve("tls"), "127.0.0.1");
    int httpsPort = server.listenTls("127.0.0.1", 0, TlsMaterial.load(tls).context()).getPort();
    HttpClient https = HttpClient.newBuilder().sslContext(ca.clientContext()).build();
    String base = "https://127.0.0.1:" + httpsPort;

    HttpResponse<String> script =
        https.send(
            HttpRequest.newBuilder(URI.create(base + "/v1/boot.ipxe?mac=52:54:00:00:00:09"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, script.statusCode());
    assertTrue(script.body().contains("over https"), "the script knows it was asked over TLS");
    HttpResponse<byte[]> content =
        https.send(
            HttpRequest.newBuilder(URI.create(base + "/content/win11"))
                .header("Authorization", "Bearer " + machine)
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, content.statusCode());
    assertArrayEquals(BYTES, content.body(), "content through TLS, in chunks");
    assertEquals(
        2, script.sslSession().orElseThrow().getPeerCertificates().length, "leaf and CA are sent");
    String firstSerial = serial(script);

    ca.issue(tls, "127.0.0.1");
    assertEquals(
        httpsPort,
        server.listenTls("127.0.0.1", httpsPort, TlsMaterial.load(tls).context()).getPort());
    HttpClient fresh = HttpClient.newBuilder().sslContext(ca.clientContext()).build();
    HttpResponse<String> renewed =
        fresh.send(
            HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, renewed.statusCode());
    assertTrue(!firstSerial.equals(serial(renewed)), "a new connection gets the new certificate");

    server.closeTls();
    assertEquals(null, server.tlsAddress());
    assertEquals(200, get("/healthz").statusCode(), "plain HTTP goes on");
  }

  @Test
  void withTlsRequiredPlainHttpServesMachinesOnlyProbesAndBootFiles() throws Exception {
    Prerequisites.require(OpensslCa.available(), "openssl (Debian package openssl)");
    publishUserStateDeployments();
    OpensslCa ca = OpensslCa.create(dir.resolve("ca"), "site CA");
    Path tls = ca.issue(dir.resolve("tls"), "127.0.0.1");
    int httpsPort = server.listenTls("127.0.0.1", 0, TlsMaterial.load(tls).context()).getPort();
    String base = "https://127.0.0.1:" + httpsPort;
    status.setHttpsEndpoint(base);
    tlsRequired.set(true);

    assertEquals(200, anonymous("/healthz", null).statusCode());
    assertEquals(200, anonymous("/boot/vmlinuz", null).statusCode());
    for (String path : List.of("/content/win11", "/v1/policy")) {
      HttpResponse<byte[]> off = get(path);
      assertEquals(403, off.statusCode(), path);
      assertTrue(new String(off.body(), StandardCharsets.UTF_8).contains("spec.tls.required"));
    }
    assertEquals(403, postToken("?mac=52:54:00:00:00:01&source=pxe", null).statusCode());
    assertEquals(
        403,
        putState("deployment=capture-old&mac=52:54:00:00:00:01", new byte[10], null).statusCode());
    HttpResponse<byte[]> script =
        anonymous("/v1/boot.ipxe?mac=52-54-00-00-00-01&media=lab/usb", null);
    assertEquals(200, script.statusCode());
    String text = new String(script.body(), StandardCharsets.UTF_8);
    assertTrue(
        text.contains(
            "\nchain --replace "
                + base
                + "/v1/boot.ipxe?mac=52:54:00:00:00:01&media=lab/usb || exit 1\n"),
        text);
    assertTrue(!text.contains("osdeploy.token"), "no token in clear text");
    assertEquals(
        400, anonymous("/v1/boot.ipxe?mac=52:54:00:00:00:01&media=a%0Ab", null).statusCode());

    // Over HTTPS everything is served as before.
    HttpClient https = HttpClient.newBuilder().sslContext(ca.clientContext()).build();
    HttpResponse<byte[]> content =
        https.send(
            HttpRequest.newBuilder(URI.create(base + "/content/win11"))
                .header("Authorization", "Bearer " + machine)
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, content.statusCode());
    assertArrayEquals(BYTES, content.body());
  }

  private static String serial(HttpResponse<?> response) throws Exception {
    return ((java.security.cert.X509Certificate)
            response.sslSession().orElseThrow().getPeerCertificates()[0])
        .getSerialNumber()
        .toString();
  }

  /**
   * Two deployments: a capture-only one for the old computer (key alice-desk) and a restore for the
   * new one; desk-3 may restore but never capture.
   */
  private void publishUserStateDeployments() {
    String capture =
        String.join(
            "\n",
            "metadata: {name: capture-old, namespace: site}",
            "spec:",
            "  taskSequence:",
            "    steps:",
            "      - {name: Capture, captureUserState: {storeKey: alice-desk}}",
            "      - {name: Capture own, captureUserState: {}}",
            "  target: {machines: [{name: old-desk, mac: '52:54:00:00:00:01'}]}",
            "  availability: ClientsMediaAndPxe");
    String restore =
        String.join(
            "\n",
            "metadata: {name: restore-new, namespace: site}",
            "spec:",
            "  taskSequence:",
            "    steps:",
            "      - {name: Restore, restoreUserState: {storeKey: alice-desk}}",
            "  target: {machines: [{name: new-desk, mac: '52:54:00:00:00:02'},"
                + " {name: desk-3, mac: '52:54:00:00:00:03'}]}",
            "  availability: ClientsMediaAndPxe");
    userStatePolicy.publish(
        List.of(
            io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
                capture, io.osdeploy.api.v1alpha1.TaskSequenceDeployment.class),
            io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
                restore, io.osdeploy.api.v1alpha1.TaskSequenceDeployment.class)),
        List.of());
    userState.open(dir);
  }

  /**
   * A deployment that captures its machine's disk as "reference", and one that captures nothing.
   */
  private void publishCaptureDeployments() {
    String build =
        String.join(
            "\n",
            "metadata: {name: build-capture, namespace: site, uid: uid-1}",
            "spec:",
            "  taskSequence:",
            "    steps:",
            "      - {name: Capture, captureImage: {name: reference}}",
            "  target: {machines: [{name: ref-pc, mac: '52:54:00:00:00:01'}]}",
            "  availability: ClientsMediaAndPxe");
    userStatePolicy.publish(
        List.of(
            io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
                build, io.osdeploy.api.v1alpha1.TaskSequenceDeployment.class)),
        List.of());
    captures.open(dir);
    captures.onKept(kept::add);
  }

  private HttpResponse<String> putCapture(String query, byte[] body, String uncompressedSha)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/captures?" + query))
            .header("Authorization", "Bearer " + userStateToken(query))
            .PUT(HttpRequest.BodyPublishers.ofByteArray(body));
    if (uncompressedSha != null) {
      b.header("X-Osdeploy-Uncompressed-Sha256", uncompressedSha);
      b.header("X-Osdeploy-Uncompressed-Size", "4000000");
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aCaptureIsKeptForItsMachineAndServedToWhoeverHasItsUrl() throws Exception {
    publishCaptureDeployments();
    byte[] first = TestContentServer.bytes(200_000, 3);
    byte[] second = TestContentServer.bytes(150_000, 4);
    String expands = "e".repeat(64);
    String query = "deployment=build-capture&mac=52:54:00:00:00:01&name=reference";

    HttpResponse<String> stored = putCapture(query, first, expands);
    assertEquals(201, stored.statusCode(), stored.body());
    io.osdeploy.api.v1alpha1.ImageCapture c =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readValue(stored.body(), io.osdeploy.api.v1alpha1.ImageCapture.class);
    assertEquals(TestContentServer.sha256(first), c.getSha256());
    assertEquals(first.length, c.getSizeBytes());
    assertEquals(expands, c.getUncompressed().getSha256());
    assertEquals(4_000_000L, c.getUncompressed().getSizeBytes());
    assertEquals(io.osdeploy.api.v1alpha1.OSImageSpec.Format.Disk, c.getFormat());
    assertEquals("52:54:00:00:00:01", c.getMac());
    assertTrue(
        c.getUrl().matches("http://127\\.0\\.0\\.1:\\d+/v1/captures/[0-9a-f]{32}"), c.getUrl());
    assertEquals(1, kept.size(), "the progress collector hears of it");
    assertEquals("uid-1", kept.get(0).uid());

    // The URL is the key: no token needed, the SHA-256 is the entity tag, ranges work.
    HttpResponse<byte[]> read =
        client.send(
            HttpRequest.newBuilder(URI.create(c.getUrl())).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, read.statusCode());
    assertArrayEquals(first, read.body());
    assertEquals("\"" + c.getSha256() + "\"", read.headers().firstValue("ETag").orElse(null));
    HttpResponse<byte[]> range =
        client.send(
            HttpRequest.newBuilder(URI.create(c.getUrl())).header("Range", "bytes=100-").build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(206, range.statusCode());
    assertEquals(first.length - 100, range.body().length);
    String madeUp = c.getUrl().replaceAll("[0-9a-f]{32}$", "0".repeat(32));
    assertEquals(
        404,
        client
            .send(
                HttpRequest.newBuilder(URI.create(madeUp)).build(),
                HttpResponse.BodyHandlers.discarding())
            .statusCode());

    // Run again, the step replaces its capture: the old URL is gone.
    HttpResponse<String> again = putCapture(query, second, expands);
    assertEquals(201, again.statusCode(), again.body());
    assertEquals(
        404,
        client
            .send(
                HttpRequest.newBuilder(URI.create(c.getUrl())).build(),
                HttpResponse.BodyHandlers.discarding())
            .statusCode());
    try (var files = Files.list(captures.dir())) {
      assertEquals(1, files.filter(f -> f.toString().endsWith(".zst")).count(), "one capture kept");
    }
    // A daemon started again serves what it kept.
    captures.open(dir);
    assertEquals(1, captures.all().size());
    assertEquals(TestContentServer.sha256(second), captures.all().get(0).capture().getSha256());
  }

  @Test
  void captureUploadsOutsideTheirDeploymentsAreRefused() throws Exception {
    publishCaptureDeployments();
    byte[] body = TestContentServer.bytes(1000, 5);
    String ok = "deployment=build-capture&mac=52:54:00:00:00:01&name=reference";
    String sha = "e".repeat(64);

    assertEquals(
        403, putCapture(ok.replace("reference", "other"), body, sha).statusCode(), "no such step");
    assertEquals(
        403,
        putCapture(ok.replace(":01", ":02"), body, sha).statusCode(),
        "a machine the deployment does not target");
    assertEquals(400, putCapture(ok, body, null).statusCode(), "what it expands to is required");
    HttpResponse<String> anonymous =
        client.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/captures?" + ok))
                .header("X-Osdeploy-Uncompressed-Sha256", sha)
                .header("X-Osdeploy-Uncompressed-Size", "1000")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(401, anonymous.statusCode());
    HttpResponse<String> tooLarge = putCapture(ok, new byte[(1 << 20) + 1], sha);
    assertEquals(413, tooLarge.statusCode(), tooLarge.body());
    assertEquals(List.of(), captures.all(), "nothing was kept");
    try (var files = Files.list(captures.dir())) {
      assertEquals(List.of(), files.toList(), "and nothing was left behind");
    }
  }

  private HttpResponse<String> putState(String query, byte[] body, String sha) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/userstate?" + query))
            .header("Authorization", "Bearer " + userStateToken(query))
            .PUT(HttpRequest.BodyPublishers.ofByteArray(body));
    if (sha != null) {
      b.header("X-Osdeploy-Sha256", sha);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void userStateIsCapturedByOneMachineAndRestoredByItsReplacement() throws Exception {
    publishUserStateDeployments();
    byte[] archive = TestContentServer.bytes(300_000, 9);
    String sha = TestContentServer.sha256(archive);

    HttpResponse<String> stored =
        putState("deployment=capture-old&mac=52:54:00:00:00:01&key=alice-desk", archive, sha);
    assertEquals(201, stored.statusCode(), stored.body());

    HttpResponse<byte[]> restored =
        client.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + port
                            + "/v1/userstate?deployment=restore-new&mac=52-54-00-00-00-02"
                            + "&key=alice-desk"))
                .header("Authorization", "Bearer " + userStateToken("mac=52:54:00:00:00:02"))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, restored.statusCode());
    assertArrayEquals(archive, restored.body());
    assertEquals(sha, restored.headers().firstValue("X-Osdeploy-Sha256").orElse(""));

    // Without a key, a machine captures under its own name in the target.
    assertEquals(
        201, putState("deployment=capture-old&mac=52:54:00:00:00:01", archive, null).statusCode());
    assertTrue(
        Files.exists(dir.resolve(".osdeploy-userstate").resolve("old-desk").resolve("v1.zip")));
  }

  @Test
  void userStateIsRestoredOverHttpsInChunks() throws Exception {
    Prerequisites.require(OpensslCa.available(), "openssl (Debian package openssl)");
    publishUserStateDeployments();
    byte[] archive = TestContentServer.bytes(300_000, 11);
    String sha = TestContentServer.sha256(archive);
    assertEquals(
        201,
        putState("deployment=capture-old&mac=52:54:00:00:00:01&key=alice-desk", archive, sha)
            .statusCode());
    OpensslCa ca = OpensslCa.create(dir.resolve("ca"), "site CA");
    Path tls = ca.issue(dir.resolve("tls"), "127.0.0.1");
    int httpsPort = server.listenTls("127.0.0.1", 0, TlsMaterial.load(tls).context()).getPort();
    HttpClient https = HttpClient.newBuilder().sslContext(ca.clientContext()).build();

    HttpResponse<byte[]> restored =
        https.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "https://127.0.0.1:"
                            + httpsPort
                            + "/v1/userstate?deployment=restore-new&mac=52-54-00-00-00-02"
                            + "&key=alice-desk"))
                .header("Authorization", "Bearer " + userStateToken("mac=52:54:00:00:00:02"))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, restored.statusCode());
    assertArrayEquals(archive, restored.body(), "the archive through TLS, in chunks");
    assertEquals(sha, restored.headers().firstValue("X-Osdeploy-Sha256").orElse(""));
  }

  @Test
  void userStateRequestsOutsideTheirDeploymentsAreRefusedAndLoseNothing() throws Exception {
    publishUserStateDeployments();
    byte[] archive = TestContentServer.bytes(50_000, 3);
    String sha = TestContentServer.sha256(archive);
    assertEquals(
        201,
        putState("deployment=capture-old&mac=52:54:00:00:00:01&key=alice-desk", archive, sha)
            .statusCode());

    // The restoring machine may not overwrite what it restores.
    HttpResponse<String> overwrite =
        putState("deployment=restore-new&mac=52:54:00:00:00:03&key=alice-desk", new byte[10], null);
    assertEquals(403, overwrite.statusCode());
    assertTrue(overwrite.body().contains("no captureUserState step"), overwrite.body());
    // A machine the deployment does not target, a deployment not published here, a bad key.
    assertEquals(
        403,
        putState("deployment=capture-old&mac=52:54:00:00:00:09&key=alice-desk", archive, sha)
            .statusCode());
    assertEquals(
        404,
        putState("deployment=elsewhere&mac=52:54:00:00:00:01&key=alice-desk", archive, sha)
            .statusCode());
    HttpResponse<String> traversal =
        putState("deployment=capture-old&mac=52:54:00:00:00:01&key=../../etc", archive, sha);
    assertEquals(400, traversal.statusCode());
    assertTrue(traversal.body().startsWith("key:"), traversal.body());
    // A body whose digest is not the one announced, and one over the store's limit.
    HttpResponse<String> corrupt =
        putState("deployment=capture-old&mac=52:54:00:00:00:01&key=alice-desk", new byte[100], sha);
    assertEquals(400, corrupt.statusCode());
    assertEquals(
        413,
        putState(
                "deployment=capture-old&mac=52:54:00:00:00:01&key=alice-desk",
                new byte[(1 << 20) + 1],
                null)
            .statusCode());

    // What was stored first is still there, whole.
    HttpResponse<byte[]> restored =
        client.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + port
                            + "/v1/userstate?deployment=restore-new&mac=52:54:00:00:00:02"
                            + "&key=alice-desk"))
                .header("Authorization", "Bearer " + userStateToken("mac=52:54:00:00:00:02"))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertArrayEquals(archive, restored.body());
    try (var files = Files.list(dir.resolve(".osdeploy-userstate").resolve("alice-desk"))) {
      assertEquals(
          List.of("manifest.json", "v1.zip"),
          files.map(f -> f.getFileName().toString()).sorted().toList());
    }
    // Other endpoints keep their small request limit.
    assertEquals(
        413,
        client
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/status"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[100_000]))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .statusCode());
  }

  @Test
  void userStateKeepsVersionsSweepsWhatACrashLeftAndStaysWithinItsQuota() throws Exception {
    publishUserStateDeployments();
    String capture = "deployment=capture-old&mac=52:54:00:00:00:01&key=alice-desk";
    List<byte[]> archives = new java.util.ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      byte[] archive = TestContentServer.bytes(10_000 + i, i);
      archives.add(archive);
      HttpResponse<String> stored = putState(capture, archive, TestContentServer.sha256(archive));
      assertEquals(201, stored.statusCode(), stored.body());
      assertTrue(stored.body().contains("version " + i), stored.body());
    }
    Path key = dir.resolve(".osdeploy-userstate").resolve("alice-desk");
    try (var files = Files.list(key)) {
      assertEquals(
          List.of("manifest.json", "v2.zip", "v3.zip", "v4.zip"),
          files.map(f -> f.getFileName().toString()).sorted().toList(),
          "the newest three are kept");
    }
    HttpResponse<byte[]> restored =
        client.send(
            HttpRequest.newBuilder(
                    uri(
                        "/v1/userstate?deployment=restore-new&mac=52:54:00:00:00:02&key=alice-desk"))
                .header("Authorization", "Bearer " + userStateToken("mac=52:54:00:00:00:02"))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertArrayEquals(archives.get(3), restored.body());
    assertEquals("4", header(restored, "X-Osdeploy-Version"));

    // What a crash can leave: an unfinished upload, an archive no manifest names, a half-written
    // manifest, and an archive stored the way earlier versions stored them.
    Files.writeString(key.resolve(".upload-123.partial"), "half");
    Files.writeString(key.resolve("v9.zip"), "never committed");
    Files.writeString(key.resolve("manifest.json.tmp"), "{");
    Path store = dir.resolve(".osdeploy-userstate");
    byte[] legacy = TestContentServer.bytes(5_000, 77);
    Files.write(store.resolve("old-desk.zip"), legacy);
    Files.writeString(
        store.resolve("old-desk.zip.sha256"), TestContentServer.sha256(legacy) + "\n");
    Files.writeString(store.resolve("old-desk7.partial"), "half");
    userState.open(dir);
    try (var files = Files.list(key)) {
      assertEquals(
          List.of("manifest.json", "v2.zip", "v3.zip", "v4.zip"),
          files.map(f -> f.getFileName().toString()).sorted().toList());
    }
    try (var files = Files.list(store)) {
      assertEquals(
          List.of("alice-desk", "old-desk"),
          files.map(f -> f.getFileName().toString()).sorted().toList());
    }
    assertArrayEquals(legacy, Files.readAllBytes(store.resolve("old-desk").resolve("v1.zip")));

    // A store at its quota refuses more, and keeps what it has.
    UserStateStore small =
        new UserStateStore(userStatePolicy, 1 << 20, userState.usedBytes() + 100);
    small.open(dir);
    try (DaemonHttpServer limited =
        new DaemonHttpServer(
            new HttpEndpoints(
                ready::get,
                () -> null,
                image -> Optional.empty(),
                request -> new io.osdeploy.policy.PolicyDocument(null, "pxe", List.of()),
                (request, secure) -> "",
                (request, media) -> request,
                report -> CompletableFuture.completedFuture(ProgressCollector.Outcome.ACCEPTED),
                passwords,
                (image, client, from) -> {
                  throw new JoinRefusedException(JoinRefusedException.Reason.UNKNOWN_IMAGE, "no");
                },
                () -> "",
                small,
                BootEnvironmentFilesTest.write(dir.resolve("boot2")),
                userStatePolicy::offered,
                access,
                () -> false,
                null,
                null,
                null))) {
      int smallPort = limited.listen("127.0.0.1", 0).getPort();
      HttpResponse<String> full =
          client.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + smallPort + "/v1/userstate?" + capture))
                  .header("Authorization", "Bearer " + userStateToken(capture))
                  .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[1000]))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(507, full.statusCode(), full.body());
      assertTrue(full.body().contains("the state store is full"), full.body());
    }
    assertEquals("4", header(restored, "X-Osdeploy-Version"));
    try (var files = Files.list(key)) {
      assertEquals(4, files.count(), "nothing kept was lost");
    }
  }

  /**
   * Mutated raw HTTP requests against the listening server, each on a connection of its own that
   * the client half-closes after sending: the server answers or closes, never hangs, and serves as
   * before afterwards.
   */
  @Test
  void mutatedRequestsGetAnAnswerOrAClosedConnectionAndTheServerKeepsServing() throws Exception {
    publishUserStateDeployments();
    ready.set(true);
    String bearer = "Authorization: Bearer " + machine + "\r\n";
    List<byte[]> seeds =
        java.util.stream.Stream.of(
                "GET /v1/policy?mac=52:54:00:ab:cd:ef&source=pxe HTTP/1.1\r\nHost: dp\r\n"
                    + bearer
                    + "\r\n",
                "GET /content/win11 HTTP/1.1\r\nHost: dp\r\nRange: bytes=0-99,200-\r\n"
                    + bearer
                    + "If-Range: "
                    + ETAG
                    + "\r\n\r\n",
                "POST /v1/status HTTP/1.1\r\nHost: dp\r\nContent-Type: application/json\r\n"
                    + bearer
                    + "Content-Length: 71\r\n\r\n"
                    + "{\"deployment\":\"win11-rollout\",\"mac\":\"52:54:00:ab:cd:ef\",\"state\":\"running\"}",
                "POST /v1/multicast/join?image=win11&client=a HTTP/1.1\r\nHost: dp\r\n"
                    + bearer
                    + "Content-Length: 0\r\n\r\n",
                "PUT /v1/userstate?deployment=capture-old&mac=52:54:00:00:00:01&key=alice-desk"
                    + " HTTP/1.1\r\nHost: dp\r\nTransfer-Encoding: chunked\r\n"
                    + "Authorization: Bearer "
                    + userStateToken("mac=52:54:00:00:00:01")
                    + "\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                "POST /v1/token?mac=52:54:00:00:00:01&source=pxe HTTP/1.1\r\nHost: dp\r\n"
                    + "Content-Length: 0\r\n\r\n",
                "GET /v1/boot.ipxe?mac=52:54:00:00:00:01&media=usb HTTP/1.1\r\nHost: dp\r\n"
                    + "Authorization: Basic b3NkZXBsb3k6c2VjcmV0\r\n\r\n")
            .map(r -> r.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1))
            .toList();
    io.osdeploy.testing.Fuzzer.Report report =
        new io.osdeploy.testing.Fuzzer("http-requests", seeds, 4096, java.net.SocketException.class)
            .run(
                Math.max(200, io.osdeploy.testing.Fuzzer.budget() / 10),
                input -> {
                  try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
                    socket.setSoTimeout(5_000);
                    socket.getOutputStream().write(input);
                    socket.shutdownOutput();
                    socket.getInputStream().readAllBytes();
                  }
                });
    assertTrue(report.accepted() > 0, report.toString());
    assertEquals(200, get("/healthz").statusCode());
    assertEquals(200, get("/content/win11").statusCode());
  }

  @AfterEach
  void stop() {
    server.close();
    passwords.close();
  }

  @Test
  void listensOnAnEphemeralPortWhenAskedForPortZero() {
    assertTrue(port > 0);
    assertEquals(port, server.address().getPort());
  }

  @Test
  void healthIsAlwaysOkAndReadinessFollowsTheDaemon() throws Exception {
    assertEquals(200, get("/healthz").statusCode());
    assertEquals(503, get("/readyz").statusCode());
    ready.set(true);
    assertEquals(200, get("/readyz").statusCode());
  }

  @Test
  void servesTheWholeVerifiedFileWithItsShaAsEntityTag() throws Exception {
    HttpResponse<byte[]> response = get("/content/win11");
    assertEquals(200, response.statusCode());
    assertArrayEquals(BYTES, response.body());
    assertEquals(ETAG, header(response, "ETag"));
    assertEquals("bytes", header(response, "Accept-Ranges"));
    assertEquals(String.valueOf(BYTES.length), header(response, "Content-Length"));
    assertEquals("application/octet-stream", header(response, "Content-Type"));
  }

  @Test
  void servesOneRange() throws Exception {
    HttpResponse<byte[]> response = get("/content/win11", "Range", "bytes=1000-1999");
    assertEquals(206, response.statusCode());
    assertEquals("bytes 1000-1999/" + BYTES.length, header(response, "Content-Range"));
    assertArrayEquals(Arrays.copyOfRange(BYTES, 1000, 2000), response.body());

    HttpResponse<byte[]> tail = get("/content/win11", "Range", "bytes=-10");
    assertEquals(206, tail.statusCode());
    assertArrayEquals(Arrays.copyOfRange(BYTES, BYTES.length - 10, BYTES.length), tail.body());
  }

  @Test
  void rangePastTheEndIs416WithTheSize() throws Exception {
    HttpResponse<byte[]> response = get("/content/win11", "Range", "bytes=" + BYTES.length + "-");
    assertEquals(416, response.statusCode());
    assertEquals("bytes */" + BYTES.length, header(response, "Content-Range"));
    assertEquals(416, get("/content/win11", "Range", "bytes=9-2").statusCode());
  }

  @Test
  void rangeForAnotherVersionGetsTheWholeFile() throws Exception {
    HttpResponse<byte[]> response =
        get("/content/win11", "Range", "bytes=0-9", "If-Range", "\"" + "0".repeat(64) + "\"");
    assertEquals(200, response.statusCode());
    assertEquals(BYTES.length, response.body().length);
  }

  @Test
  void matchingIfNoneMatchIsNotModified() throws Exception {
    HttpResponse<byte[]> response = get("/content/win11", "If-None-Match", ETAG);
    assertEquals(304, response.statusCode());
    assertEquals(ETAG, header(response, "ETag"));
    assertEquals(0, response.body().length);
    assertEquals(200, get("/content/win11", "If-None-Match", "\"other\"").statusCode());
  }

  @Test
  void headHasTheHeadersButNoBody() throws Exception {
    HttpResponse<byte[]> response =
        client.send(
            HttpRequest.newBuilder(uri("/content/win11"))
                .header("Authorization", "Bearer " + machine)
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, response.statusCode());
    assertEquals(String.valueOf(BYTES.length), header(response, "Content-Length"));
    assertEquals(ETAG, header(response, "ETag"));
    assertEquals(0, response.body().length);
  }

  @Test
  void unknownOrUnverifiedImagesAreNotFound() throws Exception {
    assertEquals(404, get("/content/win10").statusCode());
    assertEquals(404, get("/nothing-here").statusCode());
  }

  @Test
  void malformedImageNamesAreBadRequests() throws Exception {
    assertEquals(400, get("/content/Win11").statusCode());
    assertEquals(400, get("/content/win11/extra").statusCode());
    assertEquals(400, get("/content/").statusCode());
  }

  @Test
  void rejectsPathTraversal() throws Exception {
    assertEquals(400, rawStatus("/content/../" + dir.getFileName() + "/" + SHA));
    assertEquals(400, rawStatus("/content/.."));
    assertEquals(400, rawStatus("/content/%2e%2e%2f%2e%2e%2fetc%2fpasswd"));
    assertEquals(400, rawStatus("/content/..%2F..%2Fetc%2Fpasswd"));
  }

  @Test
  void onlyGetAndHeadAreAllowed() throws Exception {
    HttpResponse<byte[]> response =
        client.send(
            HttpRequest.newBuilder(uri("/content/win11"))
                .POST(HttpRequest.BodyPublishers.ofString("x"))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(405, response.statusCode());
    assertEquals("GET, HEAD", header(response, "Allow"));
  }

  @Test
  void progressReportsAreParsedAndAnsweredByWhatBecameOfThem() throws Exception {
    HttpResponse<String> accepted =
        post(
            "{\"deployment\":\"win11-rollout\",\"mac\":\"52-54-00-AB-CD-EF\",\"step\":2,"
                + "\"state\":\"Running\",\"message\":\"applying the image\"}");
    assertEquals(202, accepted.statusCode(), accepted.body());
    AgentReport report = reports.get(0);
    assertEquals("52:54:00:ab:cd:ef", report.mac());
    assertEquals(2, report.step());
    assertEquals(MachineProgress.State.Running, report.state());

    assertEquals(403, post(body("other-site", "failed")).statusCode());
    assertEquals(404, post(body("nowhere", "failed")).statusCode());
    assertEquals(503, post(body("disk-full", "failed")).statusCode());
  }

  @Test
  void mediaWithAPasswordIsAnsweredOnlyWithItByBasicAuthentication() throws Exception {
    passwords.publish("lab", Map.of("usb-locked", MediaPassword.hash("open sesame".toCharArray())));
    String path = "/v1/boot.ipxe?mac=52:54:00:ab:cd:ef&source=media&media=lab/usb-locked";

    HttpResponse<byte[]> challenge =
        client.send(
            HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(401, challenge.statusCode());
    assertEquals("Basic realm=\"osdeploy\"", header(challenge, "WWW-Authenticate"));
    assertEquals(401, get(path, "Authorization", basic("osdeploy", "open sesame!")).statusCode());
    assertEquals(401, get(path, "Authorization", basic("admin", "open sesame")).statusCode());
    assertEquals(401, get(path, "Authorization", "Basic %%%").statusCode());
    HttpResponse<byte[]> admitted = get(path, "Authorization", basic("osdeploy", "open sesame"));
    assertEquals(200, admitted.statusCode());
    assertTrue(new String(admitted.body(), StandardCharsets.UTF_8).startsWith("#!ipxe"));
    assertEquals(3, passwords.refused(), "wrong and malformed passwords are counted");

    // Media without a password, or of another namespace, need none.
    assertEquals(200, get(path.replace("usb-locked", "usb-open")).statusCode());
    assertEquals(200, get(path.replace("lab/", "other/")).statusCode());
  }

  @Test
  void aSitePxePasswordIsAskedForBeforeTheBootScriptAndTheToken() throws Exception {
    publishUserStateDeployments();
    passwords.publishPxe(MediaPassword.hash("pxe secret".toCharArray()));
    String path = "/v1/boot.ipxe?mac=52-54-00-00-00-01&uuid=${uuid}";

    HttpResponse<byte[]> login = anonymous(path.replace("&uuid=${uuid}", ""), null);
    assertEquals(200, login.statusCode());
    String script = new String(login.body(), StandardCharsets.UTF_8);
    assertTrue(script.contains("\nlogin || exit 1\n"), script);
    assertTrue(
        script.contains(
            "\nchain --replace http://osdeploy:${password:uristring}@127.0.0.1:"
                + port
                + "/v1/boot.ipxe?mac=52:54:00:00:00:01&login=1 || exit 1\n"),
        script);

    String again = "/v1/boot.ipxe?mac=52:54:00:00:00:01&login=1";
    HttpResponse<byte[]> challenge = anonymous(again, null);
    assertEquals(401, challenge.statusCode());
    assertEquals("Basic realm=\"osdeploy\"", header(challenge, "WWW-Authenticate"));
    assertEquals(401, anonymous(again, basic("osdeploy", "wrong")).statusCode());
    HttpResponse<byte[]> admitted = anonymous(again, basic("osdeploy", "pxe secret"));
    assertEquals(200, admitted.statusCode());
    assertEquals(
        "#!ipxe\necho PXE 52:54:00:00:00:01\n",
        new String(admitted.body(), StandardCharsets.UTF_8));
    // Media keep their own passwords (none here).
    assertEquals(
        200, anonymous("/v1/boot.ipxe?mac=52:54:00:00:00:01&media=usb-1", null).statusCode());

    // A token by PXE identity needs the password too; a client's does not.
    assertEquals(401, postToken("?mac=52:54:00:00:00:01&source=pxe", null).statusCode());
    assertEquals(
        401,
        postToken("?mac=52:54:00:00:00:01&source=pxe", basic("osdeploy", "nope")).statusCode());
    assertEquals(
        200,
        postToken("?mac=52:54:00:00:00:01&source=pxe", basic("osdeploy", "pxe secret"))
            .statusCode());
    assertEquals(200, postToken("?mac=52:54:00:00:00:01&source=client", null).statusCode());
    assertEquals(2, passwords.refused(), "wrong passwords are counted");
  }

  /** GET without the machine token, with {@code authorization} if not null. */
  private HttpResponse<byte[]> anonymous(String path, String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path.replace("${uuid}", "")));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String basic(String user, String password) {
    return "Basic "
        + java.util.Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void metricsAreServedAsPrometheusText() throws Exception {
    HttpResponse<byte[]> metrics = get("/metrics");
    assertEquals(200, metrics.statusCode());
    assertEquals("text/plain; version=0.0.4; charset=utf-8", header(metrics, "Content-Type"));
    assertEquals("osdeploy_test_total 7\n", new String(metrics.body(), StandardCharsets.UTF_8));
  }

  @Test
  void eachRequestIsTimedOnceItsResponseIsWrittenDownloadsIncluded() throws Exception {
    served.clear();
    assertEquals(200, get("/healthz").statusCode());
    HttpResponse<byte[]> image = get("/content/win11");
    assertEquals(200, image.statusCode());
    assertEquals(BYTES.length, image.body().length);
    assertEquals(404, get("/nothing-here").statusCode());
    await().atMost(java.time.Duration.ofSeconds(5)).until(() -> served.size() >= 3);
    assertEquals(List.of("/healthz 200", "/content/win11 200", "/nothing-here 404"), served);
  }

  @Test
  void multicastJoinHandsOutATicketOrSaysWhyNot() throws Exception {
    HttpResponse<String> ticket = join("image=win11&client=52:54:00:ab:cd:ef", machine);
    assertEquals(200, ticket.statusCode(), ticket.body());
    assertTrue(ticket.body().contains("\"group\":\"239.1.1.1\""), ticket.body());
    assertTrue(ticket.body().contains("\"sha256\":\"" + SHA + "\""), ticket.body());
    HttpResponse<String> unknown = join("image=win10", machine);
    assertEquals(404, unknown.statusCode());
    assertEquals("no verified copy of win10\n", unknown.body());
    // A token joins as its own machine only: one ticket per image, not one per made-up client.
    HttpResponse<String> someoneElse = join("image=win11&client=52:54:00:00:00:99", machine);
    assertEquals(403, someoneElse.statusCode(), someoneElse.body());
    assertEquals(400, join("image=../x&client=m1", null).statusCode());
    assertEquals(405, get("/v1/multicast/join?image=win11&client=m1").statusCode());
  }

  /** {@code POST /v1/multicast/join?<query>}, with {@code token} as the bearer when not null. */
  private HttpResponse<String> join(String query, String token) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri("/v1/multicast/join?" + query))
            .POST(HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void badProgressReportsNameTheField() throws Exception {
    assertBad("{", "body: not JSON");
    assertBad("[]", "body: must be a JSON object");
    assertBad("{\"mac\":\"52:54:00:ab:cd:ef\",\"state\":\"running\"}", "deployment: required");
    assertBad(body("win11-rollout", "done"), "state: must be running, succeeded or failed");
    assertBad(
        "{\"deployment\":\"win11-rollout\",\"state\":\"running\"}",
        "mac or uuid: at least one is required");
    assertBad(
        "{\"deployment\":\"Bad;Name\",\"mac\":\"52:54:00:ab:cd:ef\",\"state\":\"running\"}",
        "deployment: not a deployment name");
    assertBad(
        "{\"deployment\":\"x\",\"mac\":\"52:54:00:ab:cd:ef\",\"state\":\"running\",\"step\":-1}",
        "step: must be a step index");
    assertBad("{\"deployment\":\"x\",\"mac\":7,\"state\":\"running\"}", "mac: must be a string");
    assertTrue(reports.isEmpty(), "no bad report was passed on");
    // Larger than any report needs: refused before it is read whole.
    String huge =
        body("win11-rollout", "failed")
            .replace("}", ",\"message\":\"" + "x".repeat(40_000) + "\"}");
    assertEquals(413, post(huge).statusCode());
    assertEquals(200, get("/healthz").statusCode());
  }

  @Test
  void aLongMessageIsCutToTheLimit() throws Exception {
    String body =
        body("win11-rollout", "failed").replace("}", ",\"message\":\"" + "x".repeat(5_000) + "\"}");
    assertEquals(202, post(body).statusCode());
    assertEquals(AgentReport.MAX_MESSAGE, reports.get(0).message().length());
  }

  private void assertBad(String body, String message) throws Exception {
    HttpResponse<String> response = post(body);
    assertEquals(400, response.statusCode(), body);
    assertTrue(response.body().startsWith(message), response.body());
  }

  private static String body(String deployment, String state) {
    return "{\"deployment\":\""
        + deployment
        + "\",\"mac\":\"52:54:00:ab:cd:ef\",\"state\":\""
        + state
        + "\"}";
  }

  private HttpResponse<String> post(String body) throws Exception {
    return client.send(
        HttpRequest.newBuilder(uri("/v1/status"))
            .header("Content-Type", "application/json")
            .header("Authorization", "Bearer " + machine)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void policyIsForTheTokensMachineAndNamesABadParameter() throws Exception {
    HttpResponse<byte[]> ok = get("/v1/policy?mac=52-54-00-AB-CD-EF&source=pxe");
    assertEquals(200, ok.statusCode());
    String json = new String(ok.body(), StandardCharsets.UTF_8);
    assertTrue(json.contains("\"mac\":\"52:54:00:ab:cd:ef\""), json);
    // The token names the machine: a query may leave it out, but not name another.
    assertEquals(200, get("/v1/policy").statusCode());
    assertEquals(403, get("/v1/policy?mac=52:54:00:00:00:99&source=pxe").statusCode());
    HttpResponse<byte[]> badMac = get("/v1/policy?mac=zz&source=client");
    assertEquals(400, badMac.statusCode());
    assertEquals("mac: not a MAC address: zz\n", new String(badMac.body(), StandardCharsets.UTF_8));
  }

  @Test
  void everyRequestAfterBootNeedsAValidTokenAndGetsOnlyWhatItCovers() throws Exception {
    String none = "Bearer";
    String forged =
        "Bearer "
            + new MachineTokens()
                .issue(
                    "52:54:00:ab:cd:ef", null, "pxe", List.of("win11-rollout"), List.of("win11"));
    for (String authorization : List.of(none, forged, "Bearer x.y", "Basic b3NkZXBsb3k6eA==")) {
      for (String path : List.of("/content/win11", "/v1/policy?mac=52:54:00:ab:cd:ef")) {
        HttpResponse<byte[]> refused = get(path, "Authorization", authorization);
        assertEquals(401, refused.statusCode(), path + " with " + authorization);
        assertEquals("Bearer realm=\"osdeploy\"", header(refused, "WWW-Authenticate"));
      }
      for (String path : List.of("/v1/status", "/v1/multicast/join?image=win11&client=a")) {
        HttpResponse<String> refused =
            client.send(
                HttpRequest.newBuilder(uri(path))
                    .header("Authorization", authorization)
                    .POST(HttpRequest.BodyPublishers.ofString(body("win11-rollout", "running")))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, refused.statusCode(), path + " with " + authorization);
      }
    }
    assertTrue(reports.isEmpty(), "no report without a token reached the collector");
    Map<String, Long> refused = tokens.refused();
    assertEquals(8, refused.get("missing"), refused.toString());
    // Another daemon's key has the same name only when made in the same second.
    assertEquals(4, refused.get("bad_signature") + refused.get("unknown_key"), refused.toString());
    assertEquals(4, refused.get("malformed"), refused.toString());

    // A valid token of a machine whose deployment applies win10 only.
    String other =
        "Bearer "
            + tokens.issue(
                "52:54:00:00:00:42", null, "pxe", List.of("win10-lab"), List.of("win10"));
    assertEquals(403, get("/content/win11", "Authorization", other).statusCode());
    HttpResponse<String> join =
        client.send(
            HttpRequest.newBuilder(uri("/v1/multicast/join?image=win11&client=a"))
                .header("Authorization", other)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(403, join.statusCode());
    // Reports for another machine, or for a deployment the token does not cover.
    for (String body :
        List.of(
            body("win10-lab", "succeeded"),
            "{\"deployment\":\"win11-rollout\",\"mac\":\"52:54:00:00:00:42\",\"state\":\"succeeded\"}")) {
      HttpResponse<String> report =
          client.send(
              HttpRequest.newBuilder(uri("/v1/status"))
                  .header("Authorization", other)
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(403, report.statusCode(), body);
    }
    assertTrue(reports.isEmpty(), "no report for another machine reached the collector");
    assertEquals(4, tokens.refused().get("scope"));
  }

  @Test
  void aMachineGetsATokenForWhatIsOfferedToItAndRenewsIt() throws Exception {
    publishUserStateDeployments();
    HttpResponse<String> issued = postToken("?mac=52-54-00-00-00-01&source=pxe", null);
    assertEquals(200, issued.statusCode(), issued.body());
    String token =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(issued.body())
            .get("token")
            .asText();
    io.osdeploy.auth.MachineToken claims = tokens.check("Bearer " + token).token();
    assertEquals("52:54:00:00:00:01", claims.mac());
    assertEquals(List.of("capture-old"), claims.deployments());

    HttpResponse<String> renewed = postToken("", "Bearer " + token);
    assertEquals(200, renewed.statusCode(), renewed.body());
    assertTrue(renewed.body().contains("\"expiresInSeconds\":3600"), renewed.body());

    assertEquals(404, postToken("?mac=52:54:00:00:00:77&source=pxe", null).statusCode());
    assertEquals(400, postToken("?mac=52:54:00:00:00:01", null).statusCode());
    assertEquals(401, postToken("", "Bearer " + token + "x").statusCode());
    assertEquals(405, get("/v1/token?mac=52:54:00:00:00:01&source=pxe").statusCode());
  }

  private HttpResponse<String> postToken(String query, String authorization) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri("/v1/token" + query)).POST(HttpRequest.BodyPublishers.noBody());
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void bootScriptTellsPxeFromMediaAndRefusesAnUnsafeDeploymentName() throws Exception {
    HttpResponse<byte[]> pxe = get("/v1/boot.ipxe?mac=52:54:00:ab:cd:ef");
    assertEquals(200, pxe.statusCode());
    assertEquals(
        "#!ipxe\necho PXE 52:54:00:ab:cd:ef\n", new String(pxe.body(), StandardCharsets.UTF_8));
    HttpResponse<byte[]> media = get("/v1/boot.ipxe?mac=52:54:00:ab:cd:ef&media=usb-1");
    assertEquals(
        "#!ipxe\necho MEDIA 52:54:00:ab:cd:ef\n", new String(media.body(), StandardCharsets.UTF_8));
    HttpResponse<byte[]> injected = get("/v1/boot.ipxe?mac=52:54:00:ab:cd:ef&deployment=x%0Ashell");
    assertEquals(400, injected.statusCode());
  }

  @Test
  void statusIsTheNodeEntryAsJson() throws Exception {
    HttpResponse<byte[]> response = get("/v1/status");
    assertEquals(200, response.statusCode());
    assertEquals("application/json", header(response, "Content-Type"));
    String json = new String(response.body(), StandardCharsets.UTF_8);
    assertTrue(json.contains("\"name\":\"node-a\""), json);
    assertTrue(json.contains("\"state\":\"Verified\""), json);
  }

  @Test
  void movesToAnotherPortOnRequest() throws Exception {
    int moved = server.listen("127.0.0.1", 0).getPort();
    assertEquals(moved, server.address().getPort());
    assertEquals(200, get("/healthz").statusCode());
  }

  /** GET with the machine's token, unless the headers carry an Authorization of their own. */
  private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).GET();
    boolean authorization = false;
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
      authorization |= headers[i].equalsIgnoreCase("Authorization");
    }
    if (!authorization) {
      request.header("Authorization", "Bearer " + machine);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.address().getPort() + path);
  }

  private static String header(HttpResponse<?> response, String name) {
    return response.headers().firstValue(name).orElse(null);
  }

  /** Sends the path exactly as given: HTTP clients would normalize the dot segments away. */
  private int rawStatus(String path) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET "
                  + path
                  + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                  + machine
                  + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      return Integer.parseInt(response.substring(9, 12));
    }
  }
}
