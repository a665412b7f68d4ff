package io.osdeploy.daemon.content;

import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.config.DaemonConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt to get a verified copy of an image: checks an unrecorded copy already in place, or
 * downloads into the partial file, resuming where an earlier attempt stopped (HTTP Range) and
 * hashing while it writes. Only bytes whose SHA-256 matched reach the final name.
 */
final class ImageFetcher {
  /** Reports bytes hashed so far, and the image's size when known. */
  @FunctionalInterface
  interface Progress {
    void bytes(long done, Long total);
  }

  private static final Logger log = LoggerFactory.getLogger(ImageFetcher.class);
  private static final int BUFFER_BYTES = 1 << 20;
  private static final Pattern CONTENT_RANGE =
      Pattern.compile("^bytes (\\d+)-(\\d+)/(\\d+|\\*)$", Pattern.CASE_INSENSITIVE);
  private static final Pattern UNSATISFIED_RANGE =
      Pattern.compile("^bytes \\*/(\\d+)$", Pattern.CASE_INSENSITIVE);

  private enum Outcome {
    COMPLETE,
    /** The server's answer to a Range request cannot be appended: start again from zero. */
    RESTART
  }

  private final HttpClient http;
  private final ContentDirectory directory;
  private final Duration stallTimeout;
  private final ScheduledExecutorService watchdog;
  private final String userAgent;

  ImageFetcher(
      HttpClient http,
      ContentDirectory directory,
      Duration stallTimeout,
      ScheduledExecutorService watchdog,
      String userAgent) {
    this.http = http;
    this.directory = directory;
    this.stallTimeout = stallTimeout;
    this.watchdog = watchdog;
    this.userAgent = userAgent;
  }

  VerifiedFile fetch(DaemonConfig.Image image, PartialDigest partial, Progress progress)
      throws DownloadFailure, InterruptedException {
    String name = image.getName();
    String sha = image.getSha256().toLowerCase(Locale.ROOT);
    if (Files.exists(directory.verifiedPath(name, sha))) {
      Optional<VerifiedFile> checked = verifyInPlace(image, sha, progress);
      if (checked.isPresent()) {
        return checked.get();
      }
    }
    URI source = URI.create(image.getUrl());
    Path file = directory.partialPath(name, sha);
    try {
      Files.createDirectories(file.getParent());
    } catch (IOException e) {
      throw disk(file.getParent(), e);
    }
    try {
      // A server that answers a Range request with another range gets one more try from zero.
      for (int round = 0; round < 2; round++) {
        long have = resumePoint(file, partial, image.getSizeBytes(), progress);
        if (download(source, file, partial, have, image.getSizeBytes(), progress)
            == Outcome.COMPLETE) {
          return finish(image, sha, file, partial);
        }
        log.info(
            "image {}: {} did not resume at byte {}; starting over", name, source.getHost(), have);
        try {
          discard(file, partial);
        } catch (IOException e) {
          throw disk(file, e);
        }
      }
      throw DownloadFailure.sourceError(source, "answers Range requests with other ranges");
    } catch (DownloadFailure e) {
      if (ImageState.DISK_FULL.equals(e.reason())) {
        giveBackSpace(name, file, partial);
      }
      throw e;
    }
  }

  /**
   * Deletes the partial download of an image that did not fit. Resuming it later would save
   * downloading those bytes again, but holding them keeps the disk full meanwhile: every other
   * image, and whatever else shares the disk, would fail too until someone deletes it by hand.
   */
  private static void giveBackSpace(String name, Path file, PartialDigest partial) {
    try {
      long size = Files.exists(file) ? Files.size(file) : 0;
      discard(file, partial);
      log.info("image {}: the disk is full; deleted its partial download ({} bytes)", name, size);
    } catch (IOException e) {
      log.warn("image {}: cannot delete its partial download {}", name, file, e);
    }
  }

  /**
   * Hashes a copy that has its final name but no valid record (a crash came between the move and
   * the record, or the file changed since).
   */
  private Optional<VerifiedFile> verifyInPlace(
      DaemonConfig.Image image, String sha, Progress progress)
      throws DownloadFailure, InterruptedException {
    Path file = directory.verifiedPath(image.getName(), sha);
    PartialDigest digest = new PartialDigest();
    try {
      hash(file, digest, progress, Files.size(file));
      long size = digest.length();
      boolean sizeOk = image.getSizeBytes() == null || image.getSizeBytes() == size;
      if (sizeOk && digest.finish().equals(sha)) {
        directory.record(image.getName(), sha);
        return Optional.of(new VerifiedFile(image.getName(), sha, file, size));
      }
      log.warn("image {}: the copy on disk does not match; downloading it again", image.getName());
      directory.deleteVersion(image.getName(), sha);
      return Optional.empty();
    } catch (IOException e) {
      throw disk(file, e);
    }
  }

  /**
   * Makes the partial file and the digest agree and says where to resume: bytes already hashed in
   * an earlier attempt are trusted, bytes on disk beyond them (after a restart) are hashed now.
   */
  private long resumePoint(Path file, PartialDigest partial, Long sizeBytes, Progress progress)
      throws DownloadFailure, InterruptedException {
    try {
      long onDisk = Files.exists(file) ? Files.size(file) : 0;
      if (sizeBytes != null && onDisk > sizeBytes) {
        discard(file, partial);
        return 0;
      }
      if (partial.length() > onDisk) {
        partial.reset();
      }
      if (partial.length() > 0 && partial.length() < onDisk) {
        // The tail was written by an attempt that failed mid-write; it was never hashed.
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
          channel.truncate(partial.length());
        }
      } else if (partial.length() == 0 && onDisk > 0) {
        hash(file, partial, progress, sizeBytes);
      }
      return partial.length();
    } catch (IOException e) {
      throw disk(file, e);
    }
  }

  private Outcome download(
      URI source, Path file, PartialDigest partial, long have, Long sizeBytes, Progress progress)
      throws DownloadFailure, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(source).timeout(stallTimeout).header("User-Agent", userAgent).GET();
    if (have > 0) {
      request.header("Range", "bytes=" + have + "-");
    }
    HttpResponse<InputStream> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw interruptedOr(e, DownloadFailure.unreachable(source, e));
    }
    InputStream body = response.body();
    try {
      int status = response.statusCode();
      long start;
      Long total;
      if (status == 206) {
        Matcher range = CONTENT_RANGE.matcher(header(response, "Content-Range"));
        if (!range.matches() || Long.parseLong(range.group(1)) != have) {
          return Outcome.RESTART;
        }
        start = have;
        total = range.group(3).equals("*") ? null : Long.parseLong(range.group(3));
      } else if (status == 200) {
        // Without Range support the whole image comes again; what is on disk is dropped.
        start = 0;
        if (have > 0) {
          log.info("{} ignores Range requests; downloading from the start", source.getHost());
          discard(file, partial);
        }
        OptionalLong length = response.headers().firstValueAsLong("Content-Length");
        total = length.isPresent() ? length.getAsLong() : null;
      } else if (status == 416 && have > 0) {
        // What is on disk may be the whole image already (a crash came before the move).
        Matcher range = UNSATISFIED_RANGE.matcher(header(response, "Content-Range"));
        return range.matches() && Long.parseLong(range.group(1)) == have
            ? Outcome.COMPLETE
            : Outcome.RESTART;
      } else {
        throw DownloadFailure.httpStatus(source, status);
      }
      if (sizeBytes != null && total != null && !total.equals(sizeBytes)) {
        discard(file, partial);
        throw DownloadFailure.size(sizeBytes, total, "the source has");
      }
      write(source, body, file, partial, start, total == null ? sizeBytes : total, progress);
      return Outcome.COMPLETE;
    } catch (IOException e) {
      throw disk(file, e);
    } finally {
      closeBody(source, body);
    }
  }

  /**
   * Appends the body to the partial file, hashing as it goes, up to {@code total} bytes in all (the
   * server's or the spec's size); a stalled body is cut off.
   */
  private void write(
      URI source,
      InputStream body,
      Path file,
      PartialDigest partial,
      long start,
      Long total,
      Progress progress)
      throws DownloadFailure, InterruptedException, IOException {
    AtomicLong lastData = new AtomicLong(System.nanoTime());
    AtomicBoolean stalled = new AtomicBoolean();
    long period = Math.max(stallTimeout.toMillis() / 4, 10);
    ScheduledFuture<?> watch =
        watchdog.scheduleWithFixedDelay(
            () -> {
              if (System.nanoTime() - lastData.get() > stallTimeout.toNanos()
                  && stalled.compareAndSet(false, true)) {
                closeBody(source, body);
              }
            },
            period,
            period,
            TimeUnit.MILLISECONDS);
    try (FileChannel out =
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      out.truncate(start);
      out.position(start);
      byte[] buffer = new byte[BUFFER_BYTES];
      long done = start;
      while (true) {
        int n;
        try {
          n = body.read(buffer);
        } catch (IOException e) {
          if (stalled.get()) {
            throw DownloadFailure.stalled(source, stallTimeout);
          }
          throw interruptedOr(e, DownloadFailure.unreachable(source, e));
        }
        if (n < 0) {
          break;
        }
        lastData.set(System.nanoTime());
        if (total != null && done + n > total) {
          // Only the spec's size can be exceeded: the HTTP client enforces the server's.
          out.truncate(0);
          partial.reset();
          throw DownloadFailure.size(total, done + n, "the source sent at least");
        }
        ContentDirectory.writeFully(out, ByteBuffer.wrap(buffer, 0, n));
        partial.update(buffer, 0, n);
        done += n;
        progress.bytes(done, total);
      }
      if (total != null && done < total) {
        throw DownloadFailure.unreachable(
            source, new IOException("connection closed after " + done + " of " + total + " bytes"));
      }
      out.force(true);
    } finally {
      watch.cancel(false);
    }
  }

  private VerifiedFile finish(
      DaemonConfig.Image image, String sha, Path file, PartialDigest partial)
      throws DownloadFailure, InterruptedException {
    try {
      long size = Files.size(file);
      if (image.getSizeBytes() != null && size != image.getSizeBytes()) {
        discard(file, partial);
        throw DownloadFailure.size(image.getSizeBytes(), size, "the source has");
      }
      if (partial.length() != size) {
        throw new IOException(
            "hashed " + partial.length() + " bytes of a partial file of " + size + " bytes");
      }
      String actual = partial.finish();
      if (!actual.equals(sha)) {
        Files.deleteIfExists(file);
        throw DownloadFailure.checksum(sha, actual);
      }
      return directory.publish(file, image.getName(), sha);
    } catch (IOException e) {
      throw disk(file, e);
    }
  }

  private static void hash(Path file, PartialDigest digest, Progress progress, Long total)
      throws IOException {
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
      while (in.read(buffer) >= 0) {
        buffer.flip();
        digest.update(buffer.array(), 0, buffer.limit());
        buffer.clear();
        progress.bytes(digest.length(), total);
      }
    }
  }

  /** Drops the partial download: the next attempt starts from zero. */
  private static void discard(Path file, PartialDigest partial) throws IOException {
    partial.reset();
    Files.deleteIfExists(file);
  }

  private static String header(HttpResponse<?> response, String name) {
    return response.headers().firstValue(name).orElse("");
  }

  private static void closeBody(URI source, InputStream body) {
    try {
      body.close();
    } catch (IOException e) {
      log.debug("closing the response from {} failed", source.getHost(), e);
    }
  }

  private static DownloadFailure disk(Path file, IOException e) throws InterruptedException {
    return interruptedOr(e, DownloadFailure.disk(file, e));
  }

  /** An attempt that was cancelled ends as interrupted, not as a failure to report. */
  private static DownloadFailure interruptedOr(IOException e, DownloadFailure failure)
      throws InterruptedException {
    if (e instanceof ClosedByInterruptException
        || e.getCause() instanceof InterruptedException
        || Thread.currentThread().isInterrupted()) {
      throw interrupted(e);
    }
    return failure;
  }

  private static InterruptedException interrupted(Exception cause) {
    InterruptedException interrupted = new InterruptedException("download cancelled");
    interrupted.initCause(cause);
    return interrupted;
  }
}
