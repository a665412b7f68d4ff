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

  @TempDir Path dir;
  private TestContentServer source;
  private final List<Daemon> daemons = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    source = new TestContentServer().serve("/win11.wim", IMAGE);
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

  private ImageDownload.Outcome download(URI server, List<URI> others, Duration retry)
      throws Exception {
    String token = keys().token("52:54:00:00:00:07", "win11");
    return new ImageDownload(null, () -> token)
        .fetch(
            new ImageDownload.Request(
                    server,
                    "win11",
                    "52:54:00:00:00:07",
                    dir.resolve("fetched.img"),
                    0,
                    NetworkInterface.getByName("lo"),
                    false,
                    false,
                    Duration.ofSeconds(10),
                    TestContentServer.sha256(IMAGE))
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
            .formatted(source.url("/win11.wim"), TestContentServer.sha256(IMAGE), IMAGE.length));
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
