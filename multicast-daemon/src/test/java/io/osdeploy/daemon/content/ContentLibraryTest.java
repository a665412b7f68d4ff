package io.osdeploy.daemon.content;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.api.v1alpha1.ImageState.Phase;
import io.osdeploy.config.DaemonConfig;
import io.osdeploy.daemon.testing.Prerequisites;
import io.osdeploy.daemon.testing.TestContentServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContentLibraryTest {
  private static final RetryPolicy QUICK =
      new RetryPolicy(Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofMillis(400));
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path root;
  private TestContentServer server;
  private final List<ContentLibrary> libraries = new ArrayList<>();

  @BeforeEach
  void startServer() throws IOException {
    server = new TestContentServer();
  }

  @AfterEach
  void stop() {
    libraries.forEach(ContentLibrary::close);
    server.close();
  }

  @Test
  void downloadsAndVerifiesAnImage() throws Exception {
    byte[] bytes = TestContentServer.bytes(3_000_000, 1);
    server.serve("/win11.wim", bytes);
    ContentLibrary library = library();

    library.assign(List.of(image("win11", "/win11.wim", bytes))).get();

    ImageState state = awaitPhase(library, "win11", Phase.Verified);
    assertEquals(3_000_000L, state.getBytes());
    assertEquals(3_000_000L, state.getTotalBytes());
    assertEquals(TestContentServer.sha256(bytes), state.getSha256());
    VerifiedFile file = library.verified("win11").orElseThrow();
    assertEquals(root.resolve("win11").resolve(TestContentServer.sha256(bytes)), file.path());
    assertArrayEquals(bytes, Files.readAllBytes(file.path()));
    assertEquals(List.of(), partialFiles());
  }

  @Test
  void resumesAfterADroppedConnection() throws Exception {
    byte[] bytes = TestContentServer.bytes(2_000_000, 2);
    server.serve("/img", bytes).dropOnceAfter("/img", 700_000);
    ContentLibrary library = library();

    library.assign(List.of(image("img", "/img", bytes))).get();

    awaitPhase(library, "img", Phase.Verified);
    List<TestContentServer.Request> requests = server.requests("/img");
    assertEquals(2, requests.size(), requests.toString());
    assertEquals(null, requests.get(0).range());
    // Resumed where the bytes that arrived before the cut end (some may be lost with it).
    long resumedAt = rangeStart(requests.get(1).range());
    assertTrue(resumedAt > 0 && resumedAt <= 700_000, requests.get(1).range());
    assertArrayEquals(bytes, Files.readAllBytes(library.verified("img").orElseThrow().path()));
  }

  @Test
  void resumesAPartialFileLeftByAnEarlierProcess() throws Exception {
    byte[] bytes = TestContentServer.bytes(1_000_000, 15);
    String sha = TestContentServer.sha256(bytes);
    Files.createDirectories(root.resolve("img"));
    Files.write(root.resolve("img").resolve(sha + ".partial"), Arrays.copyOf(bytes, 400_000));
    server.serve("/img", bytes);
    ContentLibrary library = library();

    library.assign(List.of(image("img", "/img", bytes))).get();

    awaitPhase(library, "img", Phase.Verified);
    assertEquals(
        List.of("bytes=400000-"),
        server.requests("/img").stream().map(TestContentServer.Request::range).toList());
    assertArrayEquals(bytes, Files.readAllBytes(library.verified("img").orElseThrow().path()));
  }

  @Test
  void aCorruptPartialFileFailsItsChecksumAndIsDownloadedAgain() throws Exception {
    byte[] bytes = TestContentServer.bytes(500_000, 16);
    String sha = TestContentServer.sha256(bytes);
    Files.createDirectories(root.resolve("img"));
    Files.write(root.resolve("img").resolve(sha + ".partial"), new byte[200_000]);
    server.serve("/img", bytes);
    ContentLibrary library = library();

    library.assign(List.of(image("img", "/img", bytes))).get();

    awaitPhase(library, "img", Phase.Verified);
    List<String> ranges =
        server.requests("/img").stream().map(TestContentServer.Request::range).toList();
    assertEquals(Arrays.asList("bytes=200000-", null), ranges);
    assertArrayEquals(bytes, Files.readAllBytes(library.verified("img").orElseThrow().path()));
  }

  @Test
  void startsAgainFromZeroWhenTheServerIgnoresRange() throws Exception {
    byte[] bytes = TestContentServer.bytes(1_500_000, 3);
    server.serve("/img", bytes).dropOnceAfter("/img", 500_000).ignoreRange("/img");
    ContentLibrary library = library();

    library.assign(List.of(image("img", "/img", bytes))).get();

    awaitPhase(library, "img", Phase.Verified);
    List<TestContentServer.Request> requests = server.requests("/img");
    assertEquals(2, requests.size(), requests.toString());
    assertTrue(rangeStart(requests.get(1).range()) > 0, requests.get(1).range());
    assertArrayEquals(bytes, Files.readAllBytes(library.verified("img").orElseThrow().path()));
  }

  @Test
  void wrongChecksumFailsAndNothingIsServed() throws Exception {
    byte[] bytes = TestContentServer.bytes(100_000, 4);
    server.serve("/img", bytes);
    DaemonConfig.Image image = image("img", "/img", bytes);
    image.setSha256("0".repeat(64));
    // Mismatches are retried after minutes, so nothing is downloading while this looks.
    ContentLibrary library =
        track(
            ContentLibrary.builder(root)
                .retryPolicy(
                    new RetryPolicy(
                        Duration.ofMillis(50), Duration.ofMinutes(10), Duration.ofHours(1)))
                .build());

    library.assign(List.of(image)).get();

    ImageState state = awaitPhase(library, "img", Phase.Failed);
    assertEquals(ImageState.CHECKSUM_MISMATCH, state.getReason());
    assertTrue(state.getMessage().contains(TestContentServer.sha256(bytes)), state.getMessage());
    assertEquals(Optional.empty(), library.verified("img"));
    assertEquals(List.of(), filesUnder(root.resolve("img")));
  }

  @Test
  void wrongSizeIsASizeMismatch() throws Exception {
    byte[] bytes = TestContentServer.bytes(100_000, 5);
    server.serve("/img", bytes);
    DaemonConfig.Image image = image("img", "/img", bytes);
    image.setSizeBytes(99_999L);
    ContentLibrary library = library();

    library.assign(List.of(image)).get();

    ImageState state = awaitPhase(library, "img", Phase.Failed);
    assertEquals(ImageState.SIZE_MISMATCH, state.getReason());
    assertEquals(Optional.empty(), library.verified("img"));
  }

  @Test
  void httpErrorIsASourceErrorWithTheStatusCode() throws Exception {
    ContentLibrary library = library();

    library.assign(List.of(image("img", "/missing", new byte[1]))).get();

    ImageState state = awaitPhase(library, "img", Phase.Failed);
    assertEquals(ImageState.SOURCE_ERROR, state.getReason());
    assertTrue(state.getMessage().contains("404"), state.getMessage());
  }

  @Test
  void refusedConnectionIsSourceUnreachable() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    DaemonConfig.Image image =
        new DaemonConfig.Image(
            "img", "http://127.0.0.1:" + closedPort + "/img", "a".repeat(64), null);
    ContentLibrary library = library();

    library.assign(List.of(image)).get();

    ImageState state = awaitPhase(library, "img", Phase.Failed);
    assertEquals(ImageState.SOURCE_UNREACHABLE, state.getReason());
    assertTrue(state.getMessage().contains("127.0.0.1:" + closedPort), state.getMessage());
  }

  @Test
  void stalledSourceIsCutOffAsUnreachable() throws Exception {
    byte[] bytes = TestContentServer.bytes(1_000_000, 6);
    server.serve("/img", bytes).stallAfter("/img", 100_000);
    ContentLibrary library =
        track(
            ContentLibrary.builder(root)
                .retryPolicy(QUICK)
                .stallTimeout(Duration.ofMillis(500))
                .build());

    library.assign(List.of(image("img", "/img", bytes))).get();

    ImageState state = awaitPhase(library, "img", Phase.Failed);
    assertEquals(ImageState.SOURCE_UNREACHABLE, state.getReason());
    assertTrue(state.getMessage().startsWith("no data from"), state.getMessage());
  }

  /**
   * A write that finds the disk full (here: the partial file is a link to {@code /dev/full}, which
   * answers every write with ENOSPC) fails the image as DiskFull and deletes the partial download,
   * so the disk is not kept full; the next try starts again from zero.
   */
  @Test
  void aFullDiskIsDiskFullAndTheFailedAttemptGivesBackItsSpace() throws Exception {
    Path full = Path.of("/dev/full");
    Prerequisites.require(Files.isWritable(full), "a writable /dev/full");
    byte[] bytes = TestContentServer.bytes(300_000, 17);
    String sha = TestContentServer.sha256(bytes);
    Path partial = root.resolve("img").resolve(sha + ".partial");
    Files.createDirectories(partial.getParent());
    Files.createSymbolicLink(partial, full);
    server.serve("/img", bytes);
    ContentLibrary library =
        track(
            ContentLibrary.builder(root)
                .retryPolicy(
                    new RetryPolicy(
                        Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofHours(1)))
                .build());

    library.assign(List.of(image("img", "/img", bytes))).get();

    ImageState state = awaitPhase(library, "img", Phase.Failed);
    assertEquals(ImageState.DISK_FULL, state.getReason());
    assertTrue(state.getMessage().contains("No space left on device"), state.getMessage());
    assertFalse(Files.exists(partial, LinkOption.NOFOLLOW_LINKS), "the partial download is gone");
    assertEquals(Optional.empty(), library.verified("img"));

    awaitPhase(library, "img", Phase.Verified);
    assertEquals(
        Arrays.asList(null, null),
        server.requests("/img").stream().map(TestContentServer.Request::range).toList(),
        "the retry starts from zero");
    assertArrayEquals(bytes, Files.readAllBytes(library.verified("img").orElseThrow().path()));
  }

  @Test
  void retriesKeepReportingTheFailureWithoutFlapping() throws Exception {
    ContentLibrary library = library();
    List<Phase> phases = new CopyOnWriteArrayList<>();
    library.addListener(() -> library.snapshot().forEach(s -> phases.add(s.getState())));

    library.assign(List.of(image("img", "/missing", new byte[1]))).get();

    await().atMost(WAIT).until(() -> server.requests("/missing").size() >= 4);
    assertFalse(phases.contains(Phase.Downloading), phases.toString());
    assertEquals(Phase.Failed, library.snapshot().get(0).getState());
  }

  @Test
  void recoversOnceTheSourceIsFixed() throws Exception {
    byte[] bytes = TestContentServer.bytes(10_000, 7);
    server.status("/img", 503);
    ContentLibrary library = library();
    library.assign(List.of(image("img", "/img", bytes))).get();
    awaitPhase(library, "img", Phase.Failed);

    server.serve("/img", bytes).recover("/img");

    awaitPhase(library, "img", Phase.Verified);
  }

  @Test
  void imageNoLongerAssignedIsDeleted() throws Exception {
    byte[] a = TestContentServer.bytes(50_000, 8);
    byte[] b = TestContentServer.bytes(60_000, 9);
    server.serve("/a", a).serve("/b", b);
    ContentLibrary library = library();
    library.assign(List.of(image("a", "/a", a), image("b", "/b", b))).get();
    awaitPhase(library, "a", Phase.Verified);
    awaitPhase(library, "b", Phase.Verified);

    library.assign(List.of(image("a", "/a", a))).get();

    await().atMost(WAIT).until(() -> !Files.exists(root.resolve("b")));
    assertEquals(Optional.empty(), library.verified("b"));
    assertEquals(List.of("a"), library.snapshot().stream().map(ImageState::getName).toList());
    assertTrue(library.verified("a").isPresent());
  }

  @Test
  void removesLeftoversOfEarlierAssignmentsAtStartButNothingElse() throws Exception {
    Path old = Files.createDirectories(root.resolve("old-image"));
    Files.write(old.resolve("b".repeat(64)), new byte[] {1});
    Files.write(old.resolve("c".repeat(64) + ".partial"), new byte[] {1});
    Path foreign = Files.createDirectories(root.resolve("lost+found"));
    Files.write(foreign.resolve("x"), new byte[] {1});
    Path shared = Files.createDirectories(root.resolve("notes"));
    Files.write(shared.resolve("README"), new byte[] {1});
    ContentLibrary library = library();

    library.assign(List.of()).get();

    await().atMost(WAIT).until(() -> !Files.exists(old));
    assertTrue(Files.exists(foreign.resolve("x")));
    assertTrue(Files.exists(shared.resolve("README")));
  }

  @Test
  void copyVerifiedBeforeARestartIsServedWithoutDownloading() throws Exception {
    byte[] bytes = TestContentServer.bytes(80_000, 10);
    server.serve("/img", bytes);
    ContentLibrary first = library();
    first.assign(List.of(image("img", "/img", bytes))).get();
    awaitPhase(first, "img", Phase.Verified);
    first.close();

    ContentLibrary second = library();
    second.assign(List.of(image("img", "/img", bytes))).get();

    awaitPhase(second, "img", Phase.Verified);
    assertEquals(1, server.requests("/img").size());
  }

  @Test
  void copyWithoutARecordIsVerifiedAgainAndReplacedWhenWrong() throws Exception {
    byte[] good = TestContentServer.bytes(40_000, 11);
    byte[] other = TestContentServer.bytes(70_000, 12);
    String goodSha = TestContentServer.sha256(good);
    String otherSha = TestContentServer.sha256(other);
    Files.createDirectories(root.resolve("good"));
    Files.write(root.resolve("good").resolve(goodSha), good);
    Files.createDirectories(root.resolve("bad"));
    Files.write(root.resolve("bad").resolve(otherSha), new byte[70_000]);
    server.serve("/good", good).serve("/bad", other);
    ContentLibrary library = library();

    library.assign(List.of(image("good", "/good", good), image("bad", "/bad", other))).get();

    awaitPhase(library, "good", Phase.Verified);
    awaitPhase(library, "bad", Phase.Verified);
    assertEquals(0, server.requests("/good").size());
    assertEquals(1, server.requests("/bad").size());
    assertArrayEquals(other, Files.readAllBytes(library.verified("bad").orElseThrow().path()));
  }

  @Test
  void keepsServingTheOldVersionUntilTheNewOneIsVerified() throws Exception {
    byte[] v1 = TestContentServer.bytes(30_000, 13);
    byte[] v2 = TestContentServer.bytes(31_000, 14);
    server.serve("/v1", v1).status("/v2", 500);
    ContentLibrary library = library();
    library.assign(List.of(image("img", "/v1", v1))).get();
    awaitPhase(library, "img", Phase.Verified);

    library.assign(List.of(image("img", "/v2", v2))).get();
    awaitPhase(library, "img", Phase.Failed);
    assertEquals(TestContentServer.sha256(v1), library.verified("img").orElseThrow().sha256());

    server.serve("/v2", v2).recover("/v2");
    awaitPhase(library, "img", Phase.Verified);
    VerifiedFile now = library.verified("img").orElseThrow();
    assertEquals(TestContentServer.sha256(v2), now.sha256());
    await()
        .atMost(WAIT)
        .until(() -> !Files.exists(root.resolve("img").resolve(TestContentServer.sha256(v1))));
  }

  private ContentLibrary library() {
    return track(ContentLibrary.builder(root).retryPolicy(QUICK).owner("test/dp").build());
  }

  private ContentLibrary track(ContentLibrary library) {
    libraries.add(library);
    return library;
  }

  private DaemonConfig.Image image(String name, String path, byte[] bytes) {
    return new DaemonConfig.Image(
        name, server.url(path), TestContentServer.sha256(bytes), (long) bytes.length);
  }

  private static ImageState awaitPhase(ContentLibrary library, String name, Phase phase) {
    return await()
        .atMost(WAIT)
        .until(
            () ->
                library.snapshot().stream()
                    .filter(s -> s.getName().equals(name) && s.getState() == phase)
                    .findFirst()
                    .orElse(null),
            s -> s != null);
  }

  private static long rangeStart(String range) {
    assertNotNull(range, "the request had no Range header");
    assertTrue(range.matches("bytes=\\d+-"), range);
    return Long.parseLong(range.substring("bytes=".length(), range.length() - 1));
  }

  private List<Path> partialFiles() throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(p -> p.toString().endsWith(".partial")).toList();
    }
  }

  private static List<Path> filesUnder(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).toList();
    }
  }
}
