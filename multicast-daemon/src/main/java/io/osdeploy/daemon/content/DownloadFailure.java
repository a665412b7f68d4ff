package io.osdeploy.daemon.content;

import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.daemon.Durations;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import javax.net.ssl.SSLException;

/**
 * Why an attempt to get a verified copy of an image failed: one of {@link ImageState}'s reasons,
 * and a message for the node's status. Messages name the source's host, never its full URL, whose
 * query may carry a token.
 */
public final class DownloadFailure extends Exception {
  private final String reason;

  DownloadFailure(String reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  DownloadFailure(String reason, String message) {
    this(reason, message, null);
  }

  /** The CamelCase reason, one of the {@link ImageState} constants. */
  public String reason() {
    return reason;
  }

  /**
   * The bytes at the source are not the bytes the image's spec describes. Trying again downloads
   * the whole image again, so such failures are retried far less often than network ones.
   */
  public boolean contentMismatch() {
    return ImageState.CHECKSUM_MISMATCH.equals(reason) || ImageState.SIZE_MISMATCH.equals(reason);
  }

  static DownloadFailure unreachable(URI source, IOException e) {
    String host = hostOf(source);
    String message;
    if (e instanceof HttpConnectTimeoutException) {
      message = "connecting to " + host + " timed out";
    } else if (e instanceof HttpTimeoutException) {
      message = host + " did not answer in time";
    } else if (causedBy(e, UnresolvedAddressException.class)
        || causedBy(e, UnknownHostException.class)) {
      message = "cannot resolve " + source.getHost();
    } else if (e instanceof ConnectException) {
      message = "cannot connect to " + host + detail(e);
    } else if (causedBy(e, SSLException.class)) {
      message = "TLS with " + host + " failed" + detail(e);
    } else {
      message = "lost the connection to " + host + detail(e);
    }
    return new DownloadFailure(ImageState.SOURCE_UNREACHABLE, message, e);
  }

  static DownloadFailure stalled(URI source, Duration timeout) {
    return new DownloadFailure(
        ImageState.SOURCE_UNREACHABLE,
        "no data from " + hostOf(source) + " for " + Durations.format(timeout));
  }

  static DownloadFailure httpStatus(URI source, int status) {
    return new DownloadFailure(
        ImageState.SOURCE_ERROR, "HTTP " + status + " from " + hostOf(source));
  }

  static DownloadFailure sourceError(URI source, String what) {
    return new DownloadFailure(ImageState.SOURCE_ERROR, hostOf(source) + " " + what);
  }

  static DownloadFailure checksum(String expected, String actual) {
    return new DownloadFailure(
        ImageState.CHECKSUM_MISMATCH,
        "the downloaded bytes have SHA-256 " + actual + ", not " + expected);
  }

  static DownloadFailure size(long expected, long actual, String where) {
    return new DownloadFailure(
        ImageState.SIZE_MISMATCH,
        where + " " + actual + " bytes, not the " + expected + " bytes of sizeBytes");
  }

  /** A failure to write or read the content library's own files. */
  static DownloadFailure disk(Path file, IOException e) {
    String reason = isDiskFull(e) ? ImageState.DISK_FULL : ImageState.WRITE_ERROR;
    String message = innermostMessage(e);
    return new DownloadFailure(
        reason, file + ": " + (message.isEmpty() ? e.getClass().getSimpleName() : message), e);
  }

  static boolean isDiskFull(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String message = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
      if (message.contains("no space left on device") || message.contains("disk quota exceeded")) {
        return true;
      }
    }
    return false;
  }

  private static String hostOf(URI source) {
    return source.getPort() == -1 ? source.getHost() : source.getHost() + ":" + source.getPort();
  }

  private static String detail(Throwable e) {
    String message = innermostMessage(e);
    return message.isEmpty() ? "" : ": " + message;
  }

  /**
   * The most specific message in the chain, or empty; the HTTP client's exceptions often carry none
   * at all (a refused connection is a ConnectException without one).
   */
  private static String innermostMessage(Throwable e) {
    String message = "";
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        message = t.getMessage();
      }
    }
    return message;
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }
}
