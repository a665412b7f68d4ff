package io.osdeploy.agent;

import io.osdeploy.transfer.receive.ImageDownload;
import java.util.Locale;

/**
 * One line of image progress for the machine's consoles: a bar, the share done, the amount, the
 * rate since the previous line and the time left at that rate. Lines rather than a redrawn bar, so
 * that a serial console and its log read the same.
 */
final class ProgressLine {
  private static final int WIDTH = 20;
  private static final double MIB = 1024 * 1024;

  private ProgressLine() {}

  /**
   * @param bytesPerSecond the rate since the previous line; 0 when unknown
   */
  static String render(String image, ImageDownload.Progress p, double bytesPerSecond) {
    StringBuilder s = new StringBuilder(image).append(' ');
    if (p.total() <= 0) {
      return s.append(String.format(Locale.ROOT, "%.1f MiB (%s)", p.bytes() / MIB, p.route()))
          .toString();
    }
    long done = Math.min(p.bytes(), p.total());
    int filled = (int) (WIDTH * done / p.total());
    s.append('[').append("#".repeat(filled)).append("-".repeat(WIDTH - filled)).append(']');
    s.append(
        String.format(
            Locale.ROOT,
            " %3d%% %.1f/%.1f MiB",
            100 * done / p.total(),
            done / MIB,
            p.total() / MIB));
    if (bytesPerSecond > 0) {
      long left = (long) Math.ceil((p.total() - done) / bytesPerSecond);
      s.append(String.format(Locale.ROOT, " %.1f MiB/s %s left", bytesPerSecond / MIB, time(left)));
    }
    return s.append(" (").append(p.route()).append(')').toString();
  }

  private static String time(long seconds) {
    return seconds >= 3600
        ? String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60)
        : seconds >= 60
            ? String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60)
            : seconds + " s";
  }
}
