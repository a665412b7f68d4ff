package io.osdeploy.agent;

import io.osdeploy.agent.TaskSequenceRunner.StepFailed;
import io.osdeploy.digest.Sha256;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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

  UserStateStore(URI server, Identity identity, Path work, SSLContext tls) {
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
        if (!Files.isRegularFile(p)) {
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
            HttpRequest.newBuilder(uri(deployment, key))
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
            HttpRequest.newBuilder(uri(deployment, key)).GET().build(),
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
    Files.createDirectories(dir);
    Path root = dir.toAbsolutePath().normalize();
    long files = 0;
    try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(archive))) {
      ZipEntry e;
      while ((e = zip.getNextEntry()) != null) {
        Path out = root.resolve(e.getName()).normalize();
        if (!out.startsWith(root) || e.getName().startsWith("/")) {
          throw new StepFailed("restoreUserState: the archive names a path outside " + root);
        }
        if (e.isDirectory()) {
          Files.createDirectories(out);
          continue;
        }
        Files.createDirectories(out.getParent());
        Files.copy(zip, out, StandardCopyOption.REPLACE_EXISTING);
        files++;
      }
    }
    Files.delete(archive);
    return files;
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
}
