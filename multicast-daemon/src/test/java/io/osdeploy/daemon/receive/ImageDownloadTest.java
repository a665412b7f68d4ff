package io.osdeploy.daemon.receive;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.daemon.Daemon;
import io.osdeploy.daemon.DaemonSettings;
import io.osdeploy.daemon.config.ConfigFileSource;
import io.osdeploy.daemon.testing.TestContentServer;
import io.osdeploy.daemon.testing.TestTokenKeys;
import io.osdeploy.transfer.receive.ImageDownload;
import java.io.IOException;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unicast from several distribution point nodes, and from one that is away for a while. */
class ImageDownloadTest {
  private static final byte[] IMAGE = TestContentServer.bytes(700_000, 31);

  /** Half zeros, as a disk image mostly is, then data that does not compress. */
  private static final byte[] DISK = disk();

  private static final byte[] DISK_ZSTD = zstd(DISK);

  @TempDir Path dir;
  private TestContentServer source;
  // What the daemons hold as "win11": the image, or in the compression tests its Zstd form.
  private byte[] served = IMAGE;
  private final List<Daemon> daemons = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    source = new TestContentServer().serve("/win11.wim", IMAGE).serve("/disk.img.zst", DISK_ZSTD);
  }

  @AfterEach
  void stop() {
    daemons.forEach(Daemon::close);
    source.close();
  }

  @Test
  void unicastMovesOnToTheNextServerWhenTheFirstCannotBeReached() throws Exception {
    URI away = URI.create("http://127.0.0.1:" + freePort());
    URI other = daemon("node-b", 0);

    ImageDownload.Outcome outcome = download(away, List.of(other), Duration.ofSeconds(10));

    assertTrue(outcome.verified(), outcome.toString());
    assertEquals(List.of(other), outcome.unicastFrom());
    assertEquals(IMAGE.length, outcome.unicastBytes());
    assertArrayEquals(IMAGE, Files.readAllBytes(dir.resolve("fetched.img")));
  }

  @Test
  void unicastKeepsTryingAServerThatComesBack() throws Exception {
    int port = freePort();
    URI server = URI.create("http://127.0.0.1:" + port);
    long started = System.nanoTime();
    CompletableFuture<ImageDownload.Outcome> download =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return download(server, List.of(), Duration.ofSeconds(60));
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    Thread.sleep(1500);
    assertTrue(!download.isDone(), "still trying while the server is away");
    daemon("node-a", port);

    ImageDownload.Outcome outcome = download.get(60, TimeUnit.SECONDS);
    assertTrue(outcome.verified(), outcome.toString());
    assertEquals(List.of(server), outcome.unicastFrom());
    assertArrayEquals(IMAGE, Files.readAllBytes(dir.resolve("fetched.img")));
    assertTrue(System.nanoTime() - started > TimeUnit.MILLISECONDS.toNanos(1500));
  }

  @Test
  void unicastGivesUpWhenNoServerAnswersWithinTheRetryBudget() throws Exception {
    URI away = URI.create("http://127.0.0.1:" + freePort());
    URI gone = URI.create("http://127.0.0.1:" + freePort());

    IOException e =
        assertThrows(IOException.class, () -> download(away, List.of(gone), Duration.ofSeconds(2)));
    assertTrue(e.getMessage().contains("failed at every server"), e.getMessage());
    assertTrue(e.getMessage().contains(gone.toString()), e.getMessage());
  }

  @Test
  void aCompressedImageIsStagedAtTheEndOfItsRegionAndExpandedInPlace() throws Exception {
    served = DISK_ZSTD;
    URI server = daemon("node-a", 0);
    // A partition twice the image's size after a 1 MiB gap, in a disk with data on either side.
    Path target = dir.resolve("disk.img");
    long offset = 1 << 20;
    long room = 2L * DISK.length;
    byte[] before = TestContentServer.bytes((int) offset, 5);
    byte[] after = TestContentServer.bytes(4096, 6);
    Files.write(target, before);
    try (var ch =
        java.nio.channels.FileChannel.open(target, java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(after), offset + room);
    }

    ImageDownload.Expanded e =
        compressed(server, target, offset, room, TestContentServer.sha256(DISK));

    assertTrue(e.verified() && e.staged(), e.toString());
    assertEquals(DISK_ZSTD.length, e.transfer().unicastBytes(), "only the compressed bytes travel");
    assertTrue(DISK_ZSTD.length < DISK.length * 6 / 10, "the zeros cost nothing on the wire");
    byte[] disk = Files.readAllBytes(target);
    assertArrayEquals(before, java.util.Arrays.copyOfRange(disk, 0, (int) offset));
    assertArrayEquals(
        DISK, java.util.Arrays.copyOfRange(disk, (int) offset, (int) offset + DISK.length));
    assertArrayEquals(
        after,
        java.util.Arrays.copyOfRange(disk, (int) (offset + room), (int) (offset + room) + 4096),
        "nothing after the region was touched");
  }

  @Test
  void aCompressedImageWithoutRoomToStageStreamsThroughTheDecompressor() throws Exception {
    served = DISK_ZSTD;
    URI server = daemon("node-a", 0);
    Path target = dir.resolve("disk.img");

    ImageDownload.Expanded e =
        compressed(server, target, 0, DISK.length, TestContentServer.sha256(DISK));

    assertTrue(e.verified() && !e.staged(), e.toString());
    assertEquals(TestContentServer.sha256(DISK_ZSTD), e.transfer().sha256());
    assertArrayEquals(DISK, Files.readAllBytes(target));
  }

  @Test
  void anImageThatExpandsToOtherBytesIsNotVerified() throws Exception {
    served = DISK_ZSTD;
    URI server = daemon("node-a", 0);
    String other = TestContentServer.sha256(IMAGE);

    ImageDownload.Expanded staged = compressed(server, dir.resolve("a.img"), 0, -1, other);
    ImageDownload.Expanded streamed =
        compressed(server, dir.resolve("b.img"), 0, DISK.length, other);

    assertTrue(staged.transfer().verified() && !staged.verified(), staged.toString());
    assertTrue(streamed.transfer().verified() && !streamed.verified(), streamed.toString());
    assertEquals(TestContentServer.sha256(DISK), staged.sha256());
    assertEquals(DISK.length, Files.size(dir.resolve("a.img")), "the staged copy is cut off");
  }

  @Test
  void theReceiveCommandWritesACompressedImageExpanded() throws Exception {
    served = DISK_ZSTD;
    URI server = daemon("node-a", 0);
    Path token = dir.resolve("token");
    Files.writeString(token, keys().token("52:54:00:00:00:07", "win11"));
    java.util.function.Function<String, Integer> receive =
        zstd -> {
          try {
            return io.osdeploy.transfer.receive.ReceiveCommand.run(
                List.of(
                    "--server",
                    server.toString(),
                    "--image",
                    "win11",
                    "--out",
                    dir.resolve("out.img").toString(),
                    "--token-file",
                    token.toString(),
                    "--interface",
                    "lo",
                    "--zstd",
                    zstd));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        };

    assertEquals(0, receive.apply(TestContentServer.sha256(DISK) + ":" + DISK.length));
    assertArrayEquals(DISK, Files.readAllBytes(dir.resolve("out.img")));
    assertEquals(
        1,
        receive.apply(TestContentServer.sha256(IMAGE) + ":" + DISK.length),
        "expanded to other bytes than the flag says");
    assertEquals(2, receive.apply("not-a-digest"), "bad usage");
  }

  private ImageDownload.Expanded compressed(
      URI server, Path target, long offset, long room, String expandedSha256) throws Exception {
    String token = keys().token("52:54:00:00:00:07", "win11");
    return new ImageDownload(null, () -> token)
        .fetchCompressed(
            request(server, target, offset, TestContentServer.sha256(DISK_ZSTD)),
            new ImageDownload.Expansion(expandedSha256, DISK.length, DISK_ZSTD.length, room));
  }

  private static ImageDownload.Request request(URI server, Path target, long offset, String sha256)
      throws IOException {
    return new ImageDownload.Request(
        server,
        "win11",
        "52:54:00:00:00:07",
        target,
        offset,
        NetworkInterface.getByName("lo"),
        false,
        false,
        Duration.ofSeconds(10),
        sha256);
  }

  private static byte[] disk() {
    byte[] disk = new byte[3 << 20];
    byte[] data = TestContentServer.bytes(disk.length / 2, 17);
    System.arraycopy(data, 0, disk, disk.length / 2, data.length);
    return disk;
  }

  private static byte[] zstd(byte[] bytes) {
    var out = new java.io.ByteArrayOutputStream();
    try (var z = new io.airlift.compress.zstd.ZstdOutputStream(out)) {
      z.write(bytes);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private ImageDownload.Outcome download(URI server, List<URI> others, Duration retry)
      throws Exception {
    String token = keys().token("52:54:00:00:00:07", "win11");
    return new ImageDownload(null, () -> token)
        .fetch(
            request(server, dir.resolve("fetched.img"), 0, TestContentServer.sha256(IMAGE))
                .withOtherServers(others, retry));
  }

  /** A daemon holding the image, on {@code port} (0: any); returns its URL once it serves it. */
  private URI daemon(String node, int port) throws Exception {
    Daemon daemon =
        new Daemon(
            new DaemonSettings(
                node,
                "0.1.0-test",
                "127.0.0.1",
                "127.0.0.1",
                port,
                dir.resolve(node),
                Duration.ofMillis(100),
                Duration.ofMillis(100)),
            null,
            null);
    daemons.add(daemon);
    daemon.readTokenKeysFrom(keys().dir());
    daemon.start();
    Path config = dir.resolve(node + ".json");
    Files.writeString(
        config,
        """
        {"namespace": "site", "distributionPoint": "berlin", "generation": 1,
         "contentPath": "/unused", "httpPort": 9080,
         "images": [{"name": "win11", "url": "%s", "sha256": "%s", "sizeBytes": %d}]}
        """
            .formatted(
                source.url(served == IMAGE ? "/win11.wim" : "/disk.img.zst"),
                TestContentServer.sha256(served),
                served.length));
    daemon.addConfigSource(
        new ConfigFileSource(config, daemon.configTracker(), Duration.ofMillis(20)));
    URI url = URI.create("http://127.0.0.1:" + daemon.httpAddress().getPort());
    HttpClient client = HttpClient.newHttpClient();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                client
                        .send(
                            HttpRequest.newBuilder(url.resolve("/content/win11"))
                                .header(
                                    "Authorization",
                                    "Bearer " + keys().token("52:54:00:00:00:07", "win11"))
                                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                                .build(),
                            HttpResponse.BodyHandlers.discarding())
                        .statusCode()
                    == 200);
    return url;
  }

  private TestTokenKeys tokenKeys;

  /** The keys every daemon of this test shares, as nodes of one distribution point do. */
  private TestTokenKeys keys() throws IOException {
    if (tokenKeys == null) {
      tokenKeys = TestTokenKeys.create(dir.resolve("machine-tokens"));
    }
    return tokenKeys;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
