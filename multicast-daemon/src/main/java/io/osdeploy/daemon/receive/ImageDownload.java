package io.osdeploy.daemon.receive;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.osdeploy.daemon.multicast.JoinTicket;
import io.osdeploy.daemon.multicast.MulticastReceiver;
import io.osdeploy.daemon.multicast.ReceiveResult;
import io.osdeploy.digest.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.net.NetworkInterface;
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
import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets an image from a distribution point the way a machine should: joins the multicast session
 * through the control endpoint, and finishes by unicast ({@code GET /content/<image>} with byte
 * ranges) whatever multicast did not bring: a session that ended early, a receiver too slow or too
 * late, or no session at all. Unless the image is multicast-only; then only multicast counts. The
 * result says verified only when the whole file's SHA-256 is the image's.
 */
public final class ImageDownload {
  /**
   * What to fetch, from where, to where.
   *
   * @param offset where in {@code target} the image starts: 0 for a file or a whole disk, the
   *     partition's start when the target is a disk image holding partitions; a target is truncated
   *     to the image only at offset 0
   * @param multicast whether to join a multicast session at all (a deployment may ask for unicast)
   * @param expectedSha256 the image's SHA-256 as the policy gives it; null to trust the session's
   *     ticket or the download's ETag
   */
  public record Request(
      URI server,
      String image,
      String client,
      Path target,
      long offset,
      NetworkInterface iface,
      boolean multicast,
      boolean multicastOnly,
      Duration multicastTimeout,
      String expectedSha256) {
    public Request {
      if (offset < 0) {
        throw new IllegalArgumentException("offset: must not be negative (got " + offset + ")");
      }
    }

    /** A whole file or device, trusting the ticket or ETag for the SHA-256. */
    public Request(
        URI server,
        String image,
        String client,
        Path target,
        NetworkInterface iface,
        boolean multicastOnly,
        Duration multicastTimeout) {
      this(server, image, client, target, 0, iface, true, multicastOnly, multicastTimeout, null);
    }
  }

  /**
   * @param multicastBlocks blocks that came by multicast
   * @param unicastBytes bytes fetched by unicast to finish
   */
  public record Outcome(
      boolean verified, String sha256, long multicastBlocks, long unicastBytes, String detail) {}

  private static final Logger log = LoggerFactory.getLogger(ImageDownload.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  public Outcome fetch(Request r) throws IOException, InterruptedException {
    JoinTicket ticket = r.multicast() ? join(r) : null;
    BitSet held = new BitSet();
    long multicastBlocks = 0;
    if (ticket != null) {
      if (r.expectedSha256() != null && !r.expectedSha256().equalsIgnoreCase(ticket.sha256())) {
        throw new IOException(
            "the session offers SHA-256 "
                + ticket.sha256()
                + " for "
                + r.image()
                + ", the policy "
                + r.expectedSha256()
                + ": the image changed since the policy was fetched");
      }
      MulticastReceiver receiver =
          new MulticastReceiver(
              MulticastReceiver.Config.fromTicket(ticket, r.iface()), r.target(), r.offset());
      CompletableFuture<ReceiveResult> future = receiver.start();
      ReceiveResult result;
      try {
        result = future.get(r.multicastTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        log.info(
            "{}: multicast did not finish in {}; finishing by unicast",
            r.image(),
            r.multicastTimeout());
        receiver.close();
        result = future.getNow(null);
      } catch (ExecutionException e) {
        throw new IOException("multicast receive failed: " + e.getCause().getMessage(), e);
      } finally {
        receiver.close();
      }
      if (result != null && result.verified()) {
        return new Outcome(true, result.sha256Hex(), result.blocks(), 0, "multicast");
      }
      held = receiver.heldBlocks();
      multicastBlocks = held.cardinality();
    }
    if (r.multicastOnly()) {
      return new Outcome(
          false, null, multicastBlocks, 0, "multicast-only image and the session did not finish");
    }
    // The policy names the image's SHA-256, or else a ticket does, or else the download's ETag.
    String expected =
        r.expectedSha256() != null
            ? r.expectedSha256().toLowerCase(java.util.Locale.ROOT)
            : ticket != null ? ticket.sha256() : null;
    long unicast;
    long size;
    if (multicastBlocks > 0) {
      unicast = fillGaps(r, ticket, held);
      size = ticket.imageSize();
    } else {
      Whole whole = whole(r);
      unicast = whole.bytes();
      size = whole.bytes();
      if (expected == null) {
        expected = whole.etag();
      }
    }
    String actual = sha256(r, size);
    if (expected != null && !actual.equals(expected) && multicastBlocks > 0) {
      // What multicast wrote cannot be trusted after all: fetch the whole image once.
      log.warn("{}: SHA-256 mismatch after filling gaps; fetching the whole image", r.image());
      Whole whole = whole(r);
      unicast += whole.bytes();
      actual = sha256(r, whole.bytes());
    }
    boolean verified = expected != null && actual.equals(expected);
    String route = multicastBlocks > 0 ? "multicast+unicast" : "unicast";
    return new Outcome(verified, actual, multicastBlocks, unicast, route);
  }

  private JoinTicket join(Request r) throws InterruptedException {
    URI uri =
        r.server()
            .resolve(
                "/v1/multicast/join?image="
                    + URLEncoder.encode(r.image(), StandardCharsets.UTF_8)
                    + "&client="
                    + URLEncoder.encode(r.client(), StandardCharsets.UTF_8));
    try {
      HttpResponse<byte[]> answer =
          http.send(
              HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.noBody()).build(),
              HttpResponse.BodyHandlers.ofByteArray());
      if (answer.statusCode() != 200) {
        log.info(
            "{}: no multicast session ({} {})",
            r.image(),
            answer.statusCode(),
            new String(answer.body(), StandardCharsets.UTF_8).strip());
        return null;
      }
      return JSON.readValue(answer.body(), JoinTicket.class);
    } catch (IOException e) {
      log.info("{}: cannot join by multicast ({})", r.image(), e.getMessage());
      return null;
    }
  }

  /** Fetches each run of missing blocks with one range request; returns the bytes fetched. */
  private long fillGaps(Request r, JoinTicket ticket, BitSet held)
      throws IOException, InterruptedException {
    long blocks = (ticket.imageSize() + ticket.blockSize() - 1) / ticket.blockSize();
    long fetched = 0;
    try (FileChannel out =
        FileChannel.open(r.target(), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      int first = held.nextClearBit(0);
      while (first < blocks) {
        int end = held.nextSetBit(first);
        if (end < 0 || end > blocks) {
          end = (int) blocks;
        }
        long from = (long) first * ticket.blockSize();
        long to = Math.min((long) end * ticket.blockSize(), ticket.imageSize()) - 1;
        fetched += range(r, ticket.sha256(), from, to, out);
        first = held.nextClearBit(end);
      }
      if (r.offset() == 0) {
        out.truncate(ticket.imageSize());
      }
      out.force(false);
    }
    return fetched;
  }

  private long range(Request r, String sha256, long from, long to, FileChannel out)
      throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(content(r))
            .header("Range", "bytes=" + from + "-" + to)
            .header("If-Range", "\"" + sha256 + "\"")
            .build();
    HttpResponse<InputStream> answer =
        http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    if (answer.statusCode() != 206) {
      answer.body().close();
      throw new IOException(
          "GET " + content(r) + " bytes " + from + "-" + to + ": HTTP " + answer.statusCode());
    }
    return copy(answer.body(), out, r.offset() + from);
  }

  private record Whole(long bytes, String etag) {}

  private Whole whole(Request r) throws IOException, InterruptedException {
    HttpResponse<InputStream> answer =
        http.send(
            HttpRequest.newBuilder(content(r)).build(), HttpResponse.BodyHandlers.ofInputStream());
    if (answer.statusCode() != 200) {
      answer.body().close();
      throw new IOException("GET " + content(r) + ": HTTP " + answer.statusCode());
    }
    String etag = answer.headers().firstValue("ETag").map(e -> e.replace("\"", "")).orElse(null);
    try (FileChannel out =
        r.offset() == 0
            ? FileChannel.open(
                r.target(),
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)
            : FileChannel.open(r.target(), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      long n = copy(answer.body(), out, r.offset());
      out.force(false);
      return new Whole(n, etag);
    }
  }

  private static long copy(InputStream in, FileChannel out, long position) throws IOException {
    long written = 0;
    try (in) {
      byte[] buffer = new byte[1 << 16];
      int n;
      while ((n = in.read(buffer)) > 0) {
        ByteBuffer b = ByteBuffer.wrap(buffer, 0, n);
        while (b.hasRemaining()) {
          written += out.write(b, position + written);
        }
      }
    }
    return written;
  }

  private static URI content(Request r) {
    return r.server().resolve("/content/" + URLEncoder.encode(r.image(), StandardCharsets.UTF_8));
  }

  private static String sha256(Request r, long size) throws IOException {
    try (FileChannel in = FileChannel.open(r.target(), StandardOpenOption.READ)) {
      return Sha256.of(in, r.offset(), size);
    }
  }
}
