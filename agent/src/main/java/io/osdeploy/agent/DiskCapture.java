package io.osdeploy.agent;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.airlift.compress.zstd.ZstdOutputStream;
import io.osdeploy.transfer.receive.Bearer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * A captureImage step: reads a disk or one partition twice, once for the SHA-256 of what it holds
 * and once compressed with Zstandard into the body of {@code PUT /v1/captures}, so the distribution
 * point learns both forms' digests with one upload and nothing is staged on the machine.
 */
final class DiskCapture {
  private static final int READ = 1 << 20;
  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** The bytes a capture reads: a whole disk, or one partition of it. */
  record Region(Path disk, long offset, long length, String what) {}

  /** What the distribution point kept, as it answered. */
  record Kept(String url, String sha256, long sizeBytes, String uncompressedSha256, long bytes) {}

  private final URI server;
  private final Identity identity;
  private final HttpClient http;
  private final Supplier<String> token;

  /** Bytes read so far in the current pass, for a progress display. */
  final AtomicLong progress = new AtomicLong();

  DiskCapture(URI server, Identity identity, SSLContext tls, Supplier<String> token) {
    HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
    if (tls != null) {
      builder.sslContext(tls);
    }
    this.http = builder.build();
    this.server = server;
    this.identity = identity;
    this.token = token;
  }

  /** The region of {@code disk} to capture: all of it, or partition {@code partition} (1-based). */
  static Region region(Path disk, Integer partition) throws IOException {
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
      long size = BlockDevices.size(disk, ch);
      if (partition == null) {
        return new Region(disk, 0, size, disk.toString());
      }
      DiskLabel.Partition p = DiskLabel.partition(ch, partition);
      if (p == null) {
        throw new IOException(disk + " has no partition " + partition);
      }
      if (p.offset() + p.length() > size) {
        throw new IOException(disk + " partition " + partition + " ends past the disk's end");
      }
      return new Region(disk, p.offset(), p.length(), disk + " partition " + partition);
    }
  }

  /** Uploads {@code region} as capture {@code name} of {@code deployment}. */
  Kept capture(String deployment, String name, Region region)
      throws IOException, InterruptedException {
    String sha256 = sha256(region);
    StringBuilder q = new StringBuilder("/v1/captures?deployment=").append(enc(deployment));
    if (identity.mac() != null) {
      q.append("&mac=").append(enc(identity.mac()));
    }
    if (identity.uuid() != null) {
      q.append("&uuid=").append(enc(identity.uuid()));
    }
    q.append("&name=").append(enc(name));
    HttpResponse<String> answer =
        http.send(
            Bearer.request(server.resolve(q.toString()), token.get())
                .header("X-Osdeploy-Uncompressed-Sha256", sha256)
                .header("X-Osdeploy-Uncompressed-Size", Long.toString(region.length()))
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> compressed(region)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (answer.statusCode() != 201) {
      throw new IOException(
          "the distribution point answered HTTP "
              + answer.statusCode()
              + ": "
              + answer.body().strip());
    }
    JsonNode kept = JSON.readTree(answer.body());
    if (!sha256.equalsIgnoreCase(kept.path("uncompressed").path("sha256").asText())) {
      throw new IOException("the distribution point kept other bytes than were read: " + kept);
    }
    return new Kept(
        kept.path("url").asText(),
        kept.path("sha256").asText(),
        kept.path("sizeBytes").asLong(),
        sha256,
        region.length());
  }

  /** The first pass: the SHA-256 of the region as it is. */
  private String sha256(Region r) throws IOException {
    MessageDigest sha = io.osdeploy.digest.Sha256.newDigest();
    progress.set(0);
    ByteBuffer buffer = ByteBuffer.allocate(READ);
    try (FileChannel ch = FileChannel.open(r.disk(), StandardOpenOption.READ)) {
      long at = 0;
      while (at < r.length()) {
        buffer.clear().limit((int) Math.min(READ, r.length() - at));
        int n = ch.read(buffer, r.offset() + at);
        if (n < 0) {
          throw new IOException(r.what() + " ends at " + at + " of " + r.length() + " bytes");
        }
        sha.update(buffer.flip());
        at += n;
        progress.set(at);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /**
   * The second pass: the region compressed, read from a thread of its own into a pipe that the HTTP
   * client drains. A failure ends the body early, which the distribution point refuses.
   */
  private InputStream compressed(Region r) {
    PipedInputStream in = new PipedInputStream(READ);
    PipedOutputStream out;
    try {
      out = new PipedOutputStream(in);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    progress.set(0);
    Thread writer =
        new Thread(
            () -> {
              try (OutputStream z = new ZstdOutputStream(out);
                  FileChannel ch = FileChannel.open(r.disk(), StandardOpenOption.READ)) {
                byte[] bytes = new byte[READ];
                long at = 0;
                while (at < r.length()) {
                  ByteBuffer b = ByteBuffer.wrap(bytes, 0, (int) Math.min(READ, r.length() - at));
                  int n = ch.read(b, r.offset() + at);
                  if (n < 0) {
                    throw new IOException(r.what() + " ended early");
                  }
                  z.write(bytes, 0, n);
                  at += n;
                  progress.set(at);
                }
              } catch (IOException e) {
                try {
                  in.close();
                } catch (IOException ignored) {
                  // The reader sees the pipe broken and fails the upload.
                }
              }
            },
            "capture-compress");
    writer.setDaemon(true);
    writer.start();
    return in;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
