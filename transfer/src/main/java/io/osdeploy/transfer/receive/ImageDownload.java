package io.osdeploy.transfer.receive;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.osdeploy.digest.Sha256;
import io.osdeploy.transfer.wire.JoinTicket;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets an image from a distribution point the way a machine should: joins the multicast session
 * through the control endpoint, and finishes by unicast ({@code GET /content/<image>} with byte
 * ranges) whatever multicast did not bring: a session that ended early, a sender that fell silent
 * (its node died), a receiver too slow or too late, or no session at all. Unless the image is
 * multicast-only; then only multicast counts. Unicast goes to the joined node first and then to the
 * other nodes named, in order, and keeps trying them with back-off while none can be reached (a
 * node restarting) for up to the retry budget. The result says verified only when the whole file's
 * SHA-256 is the image's.
 */
public final class ImageDownload {
  /** How long unicast keeps trying when no server can be reached, unless the request says. */
  public static final Duration DEFAULT_UNICAST_RETRY = Duration.ofMinutes(5);

  /** How long a join answered 503 (busy for now) is asked again, and how often. */
  static final Duration JOIN_RETRY = Duration.ofMinutes(2);

  static final Duration JOIN_RETRY_PAUSE = Duration.ofSeconds(2);

  private static final long FIRST_BACKOFF_MILLIS = 500;
  private static final long MAX_BACKOFF_MILLIS = 10_000;

  /**
   * What to fetch, from where, to where.
   *
   * @param server the distribution point node to join the session at, and the first to ask by
   *     unicast
   * @param client the machine the token names (MAC or UUID), or null: the daemon joins the token's
   *     machine either way and refuses a client that is not it
   * @param offset where in {@code target} the image starts: 0 for a file or a whole disk, the
   *     partition's start when the target is a disk image holding partitions; a target is truncated
   *     to the image only at offset 0
   * @param multicast whether to join a multicast session at all (a deployment may ask for unicast)
   * @param expectedSha256 the image's SHA-256 as the policy gives it; null to trust the session's
   *     ticket or the download's ETag
   * @param otherServers more nodes serving the same image, asked by unicast in this order when
   *     {@code server} cannot be reached or answers with an error
   * @param unicastRetry how long unicast keeps trying while every server fails, backing off from
   *     half a second to ten seconds between rounds
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
      String expectedSha256,
      List<URI> otherServers,
      Duration unicastRetry) {
    public Request {
      if (offset < 0) {
        throw new IllegalArgumentException("offset: must not be negative (got " + offset + ")");
      }
      otherServers = otherServers == null ? List.of() : List.copyOf(otherServers);
      if (unicastRetry == null || unicastRetry.isNegative()) {
        throw new IllegalArgumentException("unicastRetry: must not be negative");
      }
    }

    /** One server, with the default unicast retry budget. */
    public Request(
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
      this(
          server,
          image,
          client,
          target,
          offset,
          iface,
          multicast,
          multicastOnly,
          multicastTimeout,
          expectedSha256,
          List.of(),
          DEFAULT_UNICAST_RETRY);
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

    /** The same request, asking these other nodes by unicast after {@code server}. */
    public Request withOtherServers(List<URI> servers, Duration retry) {
      return new Request(
          server,
          image,
          client,
          target,
          offset,
          iface,
          multicast,
          multicastOnly,
          multicastTimeout,
          expectedSha256,
          servers,
          retry);
    }

    /** The same request, into {@code target} from {@code offset}. */
    Request at(long offset) {
      return new Request(
          server,
          image,
          client,
          target,
          offset,
          iface,
          multicast,
          multicastOnly,
          multicastTimeout,
          expectedSha256,
          otherServers,
          unicastRetry);
    }

    /** Every server to ask by unicast, in order. */
    List<URI> unicastServers() {
      List<URI> all = new ArrayList<>();
      all.add(server);
      otherServers.stream().filter(s -> !all.contains(s)).forEach(all::add);
      return all;
    }
  }

  /**
   * @param multicastBlocks blocks that came by multicast
   * @param unicastBytes bytes fetched by unicast to finish
   * @param unicastFrom the servers that sent bytes by unicast, in the order they did
   */
  public record Outcome(
      boolean verified,
      String sha256,
      long multicastBlocks,
      long unicastBytes,
      String detail,
      List<URI> unicastFrom) {
    public Outcome {
      unicastFrom = List.copyOf(unicastFrom);
    }
  }

  /**
   * What a Zstandard-compressed image becomes, and the room its target has.
   *
   * @param sha256 SHA-256 of the image after decompression
   * @param bytes its size after decompression
   * @param compressedBytes the size of what travels
   * @param room bytes the target holds from the request's offset (a partition's or a disk's size),
   *     or -1 for a file that grows as needed
   */
  public record Expansion(String sha256, long bytes, long compressedBytes, long room) {
    public Expansion {
      if (bytes < 1 || compressedBytes < 1) {
        throw new IllegalArgumentException(
            "bytes and compressedBytes: must be positive (got "
                + bytes
                + ", "
                + compressedBytes
                + ")");
      }
    }
  }

  /**
   * A compressed image fetched and written out.
   *
   * @param transfer how the compressed bytes came, and whether they had the SHA-256 of what travels
   * @param verified whether both what travelled and what was written had their SHA-256
   * @param sha256 SHA-256 of what was written, or null when nothing was
   * @param bytes bytes written
   * @param staged true when the compressed bytes were first received into the target's free end (by
   *     multicast or unicast) and then expanded; false when they were streamed by unicast straight
   *     through the decompressor, for a target without room for both
   */
  public record Expanded(
      Outcome transfer, boolean verified, String sha256, long bytes, boolean staged) {}

  /** Alignment of a staged image: whole pages, and whole erase blocks on most disks. */
  static final long STAGE_ALIGNMENT = 1 << 20;

  private static final Logger log = LoggerFactory.getLogger(ImageDownload.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final HttpClient http;
  private final Supplier<String> token;

  public ImageDownload() {
    this(null, () -> null);
  }

  /**
   * With {@code tls} (e.g. {@link io.osdeploy.transfer.tls.PinnedCa}) for https:// servers, and the
   * machine's token for every request ({@code token} gives null: none; it is asked again for each
   * request, so a renewed token is used as soon as it exists).
   */
  public ImageDownload(SSLContext tls, Supplier<String> token) {
    HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
    if (tls != null) {
      builder.sslContext(tls);
    }
    this.http = builder.build();
    this.token = token;
  }

  /** A request to {@code uri} carrying the machine's token. */
  private HttpRequest.Builder request(URI uri) {
    return Bearer.request(uri, token.get());
  }

  /**
   * How far the current {@link #fetch} is, for a progress display on another thread.
   *
   * @param bytes bytes of the image written so far
   * @param total the image's size, or -1 while unknown
   * @param route "multicast" while a session is being received, else "unicast"
   */
  public record Progress(long bytes, long total, String route) {}

  private volatile MulticastReceiver receiving;
  private volatile boolean expanding;
  private final java.util.concurrent.atomic.AtomicLong expanded =
      new java.util.concurrent.atomic.AtomicLong();
  private volatile long multicastBytes;
  private volatile long total = -1;
  private final java.util.concurrent.atomic.AtomicLong unicastBytes =
      new java.util.concurrent.atomic.AtomicLong();

  public Progress progress() {
    if (expanding) {
      return new Progress(expanded.get(), total, "decompressing");
    }
    MulticastReceiver now = receiving;
    return now != null
        ? new Progress(now.heldBytes(), total, "multicast")
        : new Progress(multicastBytes + unicastBytes.get(), total, "unicast");
  }

  public Outcome fetch(Request r) throws IOException, InterruptedException {
    JoinTicket ticket = r.multicast() ? join(r) : null;
    if (ticket != null) {
      total = ticket.imageSize();
    }
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
      receiving = receiver;
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
        multicastBytes = receiver.heldBytes();
        receiving = null;
      }
      if (result != null && result.verified()) {
        return new Outcome(true, result.sha256Hex(), result.blocks(), 0, "multicast", List.of());
      }
      held = receiver.heldBlocks();
      multicastBlocks = held.cardinality();
    }
    if (r.multicastOnly()) {
      return new Outcome(
          false,
          null,
          multicastBlocks,
          0,
          "multicast-only image and the session did not finish",
          List.of());
    }
    // The policy names the image's SHA-256, or else a ticket does, or else the download's ETag.
    String expected =
        r.expectedSha256() != null
            ? r.expectedSha256().toLowerCase(java.util.Locale.ROOT)
            : ticket != null ? ticket.sha256() : null;
    Sources sources = new Sources(r);
    long unicast;
    long size;
    if (multicastBlocks > 0) {
      unicast = fillGaps(r, ticket, held, sources);
      size = ticket.imageSize();
    } else {
      Whole whole = whole(r, sources);
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
      Whole whole = whole(r, sources);
      unicast += whole.bytes();
      actual = sha256(r, whole.bytes());
    }
    boolean verified = expected != null && actual.equals(expected);
    String route = multicastBlocks > 0 ? "multicast+unicast" : "unicast";
    return new Outcome(verified, actual, multicastBlocks, unicast, route, sources.used());
  }

  /**
   * Fetches a Zstandard-compressed image and writes it out decompressed at the request's target and
   * offset. Where the target has room for both, the compressed bytes are received (by multicast
   * where the request allows it) into the target's free end, checked, and expanded from there to
   * the front; otherwise they are streamed by unicast through the decompressor, which needs no room
   * but no multicast either. Either way both SHA-256s are checked: of what travelled and of what
   * was written.
   */
  public Expanded fetchCompressed(Request r, Expansion x) throws IOException, InterruptedException {
    long stage = stagingOffset(r.offset(), x);
    if (stage < 0) {
      if (r.multicastOnly()) {
        throw new IOException(
            r.image()
                + " may only come by multicast, and the target has no room to stage it: "
                + x.compressedBytes()
                + " compressed bytes after the "
                + x.bytes()
                + " it expands to, in "
                + x.room());
      }
      return streamed(r, x);
    }
    Outcome transfer = fetch(r.at(stage));
    if (!transfer.verified()) {
      return new Expanded(transfer, false, null, 0, true);
    }
    Zstd.Written w;
    total = x.bytes();
    expanded.set(0);
    expanding = true;
    try (FileChannel ch =
        FileChannel.open(r.target(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      w =
          Zstd.expand(
              Zstd.region(ch, stage, x.compressedBytes()), ch, r.offset(), x.bytes(), expanded);
      if (x.room() < 0) {
        ch.truncate(r.offset() + w.bytes());
      }
      ch.force(false);
    } finally {
      expanding = false;
    }
    return new Expanded(transfer, matches(w, x), w.sha256(), w.bytes(), true);
  }

  /**
   * Where in the target the compressed image is staged, or -1 when there is no room for it after
   * the expanded image: at the end of a region of known size, after the image in a file that grows.
   */
  static long stagingOffset(long offset, Expansion x) {
    long imageEnd = offset + x.bytes();
    if (x.room() < 0) {
      return (imageEnd + STAGE_ALIGNMENT - 1) / STAGE_ALIGNMENT * STAGE_ALIGNMENT;
    }
    long stage = (offset + x.room() - x.compressedBytes()) / STAGE_ALIGNMENT * STAGE_ALIGNMENT;
    return stage >= imageEnd ? stage : -1;
  }

  private static boolean matches(Zstd.Written w, Expansion x) {
    return w.bytes() == x.bytes() && w.sha256().equalsIgnoreCase(x.sha256());
  }

  /**
   * Streams the compressed image by unicast through the decompressor, from the first server that
   * sends all of it.
   */
  private Expanded streamed(Request r, Expansion x) throws IOException, InterruptedException {
    Sources sources = new Sources(r);
    total = x.bytes();
    while (true) {
      URI server = sources.current();
      try {
        Expanded e = streamed(r, x, server);
        sources.succeeded(server);
        Outcome t = e.transfer();
        return new Expanded(
            new Outcome(t.verified(), t.sha256(), 0, t.unicastBytes(), t.detail(), sources.used()),
            e.verified(),
            e.sha256(),
            e.bytes(),
            false);
      } catch (IOException e) {
        sources.failed(server, e);
      }
    }
  }

  private Expanded streamed(Request r, Expansion x, URI server)
      throws IOException, InterruptedException {
    URI uri = content(server, r.image());
    HttpResponse<InputStream> answer =
        http.send(request(uri).build(), HttpResponse.BodyHandlers.ofInputStream());
    if (answer.statusCode() != 200) {
      answer.body().close();
      throw new IOException("GET " + uri + ": HTTP " + answer.statusCode());
    }
    java.security.MessageDigest travelled = io.osdeploy.digest.Sha256.newDigest();
    long[] received = {0};
    InputStream counted =
        new java.io.FilterInputStream(answer.body()) {
          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
              travelled.update(b, off, n);
              received[0] += n;
              unicastBytes.addAndGet(n);
            }
            return n;
          }
        };
    Zstd.Written w;
    expanded.set(0);
    expanding = true;
    try (FileChannel out =
        FileChannel.open(r.target(), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      w = Zstd.expand(counted, out, r.offset(), x.bytes(), expanded);
      if (x.room() < 0) {
        out.truncate(r.offset() + w.bytes());
      }
      out.force(false);
    } finally {
      expanding = false;
    }
    String sha = java.util.HexFormat.of().formatHex(travelled.digest());
    // The policy names what travels, or else the download's entity tag does.
    String expected =
        r.expectedSha256() != null
            ? r.expectedSha256()
            : answer.headers().firstValue("ETag").map(e -> e.replace("\"", "")).orElse(null);
    boolean travelledOk = expected != null && sha.equalsIgnoreCase(expected);
    Outcome t = new Outcome(travelledOk, sha, 0, received[0], "unicast, streamed", List.of());
    return new Expanded(t, travelledOk && matches(w, x), w.sha256(), w.bytes(), false);
  }

  private JoinTicket join(Request r) throws InterruptedException {
    URI uri =
        r.server()
            .resolve(
                "/v1/multicast/join?image="
                    + URLEncoder.encode(r.image(), StandardCharsets.UTF_8)
                    + (r.client() == null
                        ? ""
                        : "&client=" + URLEncoder.encode(r.client(), StandardCharsets.UTF_8)));
    try {
      HttpResponse<byte[]> answer =
          http.send(
              request(uri).POST(HttpRequest.BodyPublishers.noBody()).build(),
              HttpResponse.BodyHandlers.ofByteArray());
      // 503: busy for now (the image's sections still being digested, every group in use); ask
      // again for a while before settling for unicast.
      long askUntil = System.nanoTime() + JOIN_RETRY.toNanos();
      while (answer.statusCode() == 503 && System.nanoTime() < askUntil) {
        log.info(
            "{}: multicast busy ({}); asking again",
            r.image(),
            new String(answer.body(), StandardCharsets.UTF_8).strip());
        Thread.sleep(JOIN_RETRY_PAUSE.toMillis());
        answer =
            http.send(
                request(uri).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofByteArray());
      }
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

  /**
   * Fetches each run of missing blocks with one range request; returns the bytes fetched. Blocks a
   * cut-off response brought in whole count as held, so the next server is asked only for the rest.
   */
  private long fillGaps(Request r, JoinTicket ticket, BitSet held, Sources sources)
      throws IOException, InterruptedException {
    int blockSize = ticket.blockSize();
    int blocks = (int) ((ticket.imageSize() + blockSize - 1) / blockSize);
    long fetched = 0;
    try (FileChannel out =
        FileChannel.open(r.target(), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      for (int first = held.nextClearBit(0); first < blocks; first = held.nextClearBit(first)) {
        int end = held.nextSetBit(first);
        if (end < 0 || end > blocks) {
          end = blocks;
        }
        long from = (long) first * blockSize;
        long to = Math.min((long) end * blockSize, ticket.imageSize()) - 1;
        long[] written = {0};
        URI server = sources.current();
        try {
          range(r, server, ticket.sha256(), from, to, out, written);
          held.set(first, end);
          sources.succeeded(server);
        } catch (IOException e) {
          held.set(first, first + (int) (written[0] / blockSize));
          sources.failed(server, e);
        } finally {
          fetched += written[0];
        }
      }
      // A file is cut to the image; a disk (a block device) has its own size and cannot be.
      if (r.offset() == 0 && Files.isRegularFile(r.target())) {
        out.truncate(ticket.imageSize());
      }
      out.force(false);
    }
    return fetched;
  }

  private void range(
      Request r, URI server, String sha256, long from, long to, FileChannel out, long[] written)
      throws IOException, InterruptedException {
    URI uri = content(server, r.image());
    HttpRequest request =
        request(uri)
            .header("Range", "bytes=" + from + "-" + to)
            .header("If-Range", "\"" + sha256 + "\"")
            .build();
    HttpResponse<InputStream> answer =
        http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    if (answer.statusCode() != 206) {
      answer.body().close();
      throw new IOException(
          "GET " + uri + " bytes " + from + "-" + to + ": HTTP " + answer.statusCode());
    }
    copy(answer.body(), out, r.offset() + from, written);
    if (written[0] != to - from + 1) {
      throw new IOException(
          "GET " + uri + " bytes " + from + "-" + to + ": the response ended after " + written[0]);
    }
  }

  private record Whole(long bytes, String etag) {}

  /** The whole image from the first server that sends all of it. */
  private Whole whole(Request r, Sources sources) throws IOException, InterruptedException {
    while (true) {
      URI server = sources.current();
      try {
        Whole whole = whole(r, server);
        sources.succeeded(server);
        return whole;
      } catch (IOException e) {
        sources.failed(server, e);
      }
    }
  }

  private Whole whole(Request r, URI server) throws IOException, InterruptedException {
    URI uri = content(server, r.image());
    HttpResponse<InputStream> answer =
        http.send(request(uri).build(), HttpResponse.BodyHandlers.ofInputStream());
    if (answer.statusCode() != 200) {
      answer.body().close();
      throw new IOException("GET " + uri + ": HTTP " + answer.statusCode());
    }
    String etag = answer.headers().firstValue("ETag").map(e -> e.replace("\"", "")).orElse(null);
    long length = answer.headers().firstValueAsLong("Content-Length").orElse(-1);
    if (length >= 0) {
      total = length;
    }
    try (FileChannel out =
        r.offset() == 0
            ? FileChannel.open(
                r.target(),
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)
            : FileChannel.open(r.target(), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      long[] written = {0};
      copy(answer.body(), out, r.offset(), written);
      if (length >= 0 && written[0] != length) {
        throw new IOException("GET " + uri + ": the response ended after " + written[0]);
      }
      out.force(false);
      return new Whole(written[0], etag);
    }
  }

  /** Copies the body to {@code out} at {@code position}, counting into {@code written[0]}. */
  private void copy(InputStream in, FileChannel out, long position, long[] written)
      throws IOException {
    try (in) {
      byte[] buffer = new byte[1 << 16];
      int n;
      while ((n = in.read(buffer)) > 0) {
        ByteBuffer b = ByteBuffer.wrap(buffer, 0, n);
        while (b.hasRemaining()) {
          int w = out.write(b, position + written[0]);
          written[0] += w;
          unicastBytes.addAndGet(w);
        }
      }
    }
  }

  private static URI content(URI server, String image) {
    return server.resolve("/content/" + URLEncoder.encode(image, StandardCharsets.UTF_8));
  }

  private static String sha256(Request r, long size) throws IOException {
    try (FileChannel in = FileChannel.open(r.target(), StandardOpenOption.READ)) {
      return Sha256.of(in, r.offset(), size);
    }
  }

  /**
   * The servers unicast asks, in turn: it stays with one while it answers, moves to the next when
   * it fails, and after a round in which every one failed waits, doubling the wait, until the retry
   * budget (counted from the first failure in a row) is spent.
   */
  private static final class Sources {
    private final Request request;
    private final List<URI> servers;
    private final List<URI> used = new ArrayList<>();
    private int index;
    private int failuresInARow;
    private long giveUpAt;
    private long backoffMillis = FIRST_BACKOFF_MILLIS;

    Sources(Request request) {
      this.request = request;
      this.servers = request.unicastServers();
    }

    URI current() {
      return servers.get(index);
    }

    void succeeded(URI server) {
      failuresInARow = 0;
      backoffMillis = FIRST_BACKOFF_MILLIS;
      if (used.isEmpty() || !used.get(used.size() - 1).equals(server)) {
        used.add(server);
      }
    }

    void failed(URI server, IOException e) throws IOException, InterruptedException {
      if (failuresInARow++ == 0) {
        giveUpAt = System.nanoTime() + request.unicastRetry().toNanos();
      }
      index = (index + 1) % servers.size();
      if (failuresInARow % servers.size() != 0) {
        log.warn(
            "{}: unicast from {} failed ({}); trying {}", request.image(), server, e, current());
        return;
      }
      if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMillis) > giveUpAt) {
        throw new IOException(
            "unicast of "
                + request.image()
                + " failed at every server ("
                + servers
                + ") for "
                + request.unicastRetry()
                + "; last: "
                + e.getMessage(),
            e);
      }
      log.warn(
          "{}: unicast from {} failed ({}); trying {} again in {} ms",
          request.image(),
          server,
          e,
          servers.size() == 1 ? "it" : "every server",
          backoffMillis);
      Thread.sleep(backoffMillis);
      backoffMillis = Math.min(backoffMillis * 2, MAX_BACKOFF_MILLIS);
    }

    List<URI> used() {
      return used;
    }
  }
}
