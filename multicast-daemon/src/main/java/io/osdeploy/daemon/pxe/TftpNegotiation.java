package io.osdeploy.daemon.pxe;

import io.osdeploy.daemon.pxe.MalformedPacketException.Reason;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The options a read request asks for and what the server agrees to: blksize (RFC 2348), tsize and
 * timeout (RFC 2349), windowsize (RFC 7440). Unknown options are left out of the OACK, as RFC 2347
 * allows; a known option with a bad value refuses the transfer.
 *
 * @param acknowledged the options for the OACK; empty means no OACK, data starts at once
 */
public record TftpNegotiation(
    int blockSize, int windowSize, Duration timeout, Map<String, String> acknowledged) {
  public static final int DEFAULT_BLOCK_SIZE = 512;

  public static TftpNegotiation negotiate(
      Map<String, String> requested, long fileSize, TftpSettings settings)
      throws MalformedPacketException {
    int blockSize = DEFAULT_BLOCK_SIZE;
    int windowSize = 1;
    Duration timeout = settings.timeout();
    Map<String, String> ack = new LinkedHashMap<>();
    for (Map.Entry<String, String> option : requested.entrySet()) {
      String value = option.getValue();
      switch (option.getKey()) {
        case "blksize" -> {
          blockSize = Math.min(number("blksize", value, 8, 65464), settings.maxBlockSize());
          ack.put("blksize", Integer.toString(blockSize));
        }
        case "windowsize" -> {
          windowSize = Math.min(number("windowsize", value, 1, 65535), settings.maxWindowSize());
          ack.put("windowsize", Integer.toString(windowSize));
        }
        case "timeout" -> {
          Duration asked = Duration.ofSeconds(number("timeout", value, 1, 255));
          // RFC 2349 lets a server only agree or decline; a long one would hold the transfer's
          // port and memory for minutes.
          if (asked.compareTo(settings.maxTimeout()) <= 0) {
            timeout = asked;
            ack.put("timeout", value);
          }
        }
        case "tsize" -> {
          number("tsize", value, 0, Integer.MAX_VALUE);
          ack.put("tsize", Long.toString(fileSize));
        }
        default -> {
          // Not ours to understand; leaving it out of the OACK declines it.
        }
      }
    }
    return new TftpNegotiation(blockSize, windowSize, timeout, ack);
  }

  private static int number(String name, String value, int min, int max)
      throws MalformedPacketException {
    int n;
    try {
      n = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new MalformedPacketException(
          Reason.BAD_FIELD, "option " + name + ": not a number: " + value);
    }
    if (n < min || n > max) {
      throw new MalformedPacketException(
          Reason.BAD_FIELD, "option " + name + ": " + n + " is outside " + min + ".." + max);
    }
    return n;
  }
}
