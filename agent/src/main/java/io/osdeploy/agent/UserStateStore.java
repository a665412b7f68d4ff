package io.osdeploy.agent;

import io.osdeploy.agent.TaskSequenceRunner.StepFailed;
import io.osdeploy.digest.Sha256;
import io.osdeploy.transfer.receive.Bearer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import javax.net.ssl.SSLContext;

/**
 * User state on the distribution point's state store: a directory captured as one zip archive
 * ({@code PUT /v1/userstate}) and restored from it ({@code GET /v1/userstate}), with the archive's
 * SHA-256 checked both ways. The distribution point decides which store key a machine may write or
 * read; without a key it uses the machine's name in the deployment's target.
 */
final class UserStateStore {
  static final String SHA256_HEADER = "X-Osdeploy-Sha256";

  private final URI server;
  private final Identity identity;
  private final Path work;
  private final HttpClient http;

  private final java.util.function.Supplier<String> token;

  UserStateStore(
      URI server,
      Identity identity,
      Path work,
      SSLContext tls,
      java.util.function.Supplier<String> token) {
    this.token = token;
    HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
    if (tls != null) {
      builder.sslContext(tls);
    }
    this.http = builder.build();
    this.server = server;
    this.identity = identity;
    this.work = work;
  }

  /** Archives {@code dir} and stores it; returns the archive's size. */
  long capture(String deployment, String key, Path dir)
      throws StepFailed, IOException, InterruptedException {
    if (!Files.isDirectory(dir)) {
      throw new StepFailed("captureUserState.options.path: " + dir + " is not a directory");
    }
    Files.createDirectories(work);
    Path archive = work.resolve("user-state.zip");
    try (OutputStream file = Files.newOutputStream(archive);
        ZipOutputStream zip = new ZipOutputStream(file);
        Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
        // Regular files only, and never through a symbolic link: a link to a file outside the
        // captured directory would carry that file to the store.
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        ZipEntry e = new ZipEntry(dir.relativize(p).toString().replace('\\', '/'));
        e.setTime(Files.getLastModifiedTime(p).toMillis());
        zip.putNextEntry(e);
        Files.copy(p, zip);
        zip.closeEntry();
      }
    }
    HttpResponse<String> answer =
        http.send(
            authorized(uri(deployment, key))
                .header(SHA256_HEADER, Sha256.of(archive))
                .PUT(HttpRequest.BodyPublishers.ofFile(archive))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (answer.statusCode() / 100 != 2) {
      throw new StepFailed(
          "captureUserState: the distribution point answered HTTP "
              + answer.statusCode()
              + ": "
              + answer.body().strip());
    }
    long size = Files.size(archive);
    Files.delete(archive);
    return size;
  }

  /** Fetches the stored archive and unpacks it into {@code dir}; returns the number of files. */
  long restore(String deployment, String key, Path dir)
      throws StepFailed, IOException, InterruptedException {
    Files.createDirectories(work);
    Path archive = work.resolve("user-state-restore.zip");
    HttpResponse<Path> answer =
        http.send(
            authorized(uri(deployment, key)).GET().build(),
            HttpResponse.BodyHandlers.ofFile(archive));
    if (answer.statusCode() != 200) {
      String body = Files.exists(archive) ? Files.readString(archive).strip() : "";
      Files.deleteIfExists(archive);
      throw new StepFailed(
          "restoreUserState: the distribution point answered HTTP "
              + answer.statusCode()
              + ": "
              + body);
    }
    String expected = answer.headers().firstValue(SHA256_HEADER).orElse(null);
    String actual = Sha256.of(archive);
    if (expected == null || !expected.equalsIgnoreCase(actual)) {
      throw new StepFailed(
          "restoreUserState: the archive's SHA-256 is " + actual + ", the store says " + expected);
    }
    try {
      return unpack(archive, dir, Files.size(archive));
    } finally {
      Files.deleteIfExists(archive);
    }
  }

  /** At most this many entries in an archive being restored. */
  static final int MAX_ENTRIES = 200_000;

  /** At most this many bytes unpacked per byte of archive (and never less than MIN_ALLOWANCE). */
  static final long MAX_RATIO = 100;

  static final long MIN_ALLOWANCE = 64L << 20;

  /**
   * Unpacks {@code archive} into {@code dir}: every entry inside it (no absolute path, no {@code
   * ..}, no way through a symbolic link already in {@code dir}), at most {@link #MAX_ENTRIES}
   * entries and {@link #MAX_RATIO} times the archive's size, so that a crafted archive can neither
   * write outside the directory nor fill the disk.
   */
  static long unpack(Path archive, Path dir, long archiveBytes) throws StepFailed, IOException {
    return unpack("restoreUserState", archive, dir, archiveBytes, MAX_ENTRIES);
  }

  static long unpack(Path archive, Path dir, long archiveBytes, int maxEntries)
      throws StepFailed, IOException {
    return unpack("restoreUserState", archive, dir, archiveBytes, maxEntries);
  }

  /** As {@link #unpack(Path, Path, long)}, its failures naming the step's {@code field}. */
  static long unpack(String field, Path archive, Path dir, long archiveBytes, int maxEntries)
      throws StepFailed, IOException {
    Files.createDirectories(dir);
    Path root = dir.toRealPath();
    long allowance = Math.max(MIN_ALLOWANCE, archiveBytes * MAX_RATIO);
    long written = 0;
    long files = 0;
    int entries = 0;
    try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(archive))) {
      ZipEntry e;
      while ((e = zip.getNextEntry()) != null) {
        if (++entries > maxEntries) {
          throw new StepFailed(field + ": the archive has more than " + maxEntries + " entries");
        }
        Path out = root.resolve(e.getName()).normalize();
        if (!out.startsWith(root) || e.getName().startsWith("/") || out.equals(root)) {
          throw new StepFailed(
              field + ": the archive names a path outside " + root + ": " + e.getName());
        }
        if (e.isDirectory()) {
          Files.createDirectories(out);
          inside(field, root, out, e.getName());
          continue;
        }
        Files.createDirectories(out.getParent());
        inside(field, root, out.getParent(), e.getName());
        if (Files.isSymbolicLink(out)) {
          Files.delete(out);
        }
        try (OutputStream to = Files.newOutputStream(out)) {
          byte[] buffer = new byte[64 * 1024];
          int n;
          while ((n = zip.read(buffer)) > 0) {
            written += n;
            if (written > allowance) {
              throw new StepFailed(
                  field
                      + ": the archive unpacks to more than "
                      + allowance
                      + " bytes ("
                      + MAX_RATIO
                      + " times its size): refused as a zip bomb");
            }
            to.write(buffer, 0, n);
          }
        }
        files++;
      }
    }
    return files;
  }

  /** Refuses a directory that resolves outside {@code root} (through a symbolic link). */
  private static void inside(String field, Path root, Path directory, String entry)
      throws StepFailed, IOException {
    if (!directory.toRealPath().startsWith(root)) {
      throw new StepFailed(
          field
              + ": the archive's entry "
              + entry
              + " leads through a symbolic link out of "
              + root);
    }
  }

  private URI uri(String deployment, String key) {
    StringBuilder q = new StringBuilder("/v1/userstate?deployment=").append(enc(deployment));
    param(q, "mac", identity.mac());
    param(q, "uuid", identity.uuid());
    param(q, "key", key);
    return server.resolve(q.toString());
  }

  private static void param(StringBuilder q, String name, String value) {
    if (value != null) {
      q.append('&').append(name).append('=').append(enc(value));
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** A request carrying the machine's token, when it has one. */
  private HttpRequest.Builder authorized(URI uri) {
    return Bearer.request(uri, token.get());
  }
}
