package io.osdeploy.agent;

import io.osdeploy.transfer.receive.ImageDownload;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs a {@link ProgressLine} for an image being written every few seconds, while it is written:
 * what the technician at the machine sees on its screen and serial console; and hands each to a
 * {@link Reporter}, which tells the distribution point (the live page shows it).
 */
final class ProgressTicker implements AutoCloseable {
  static final long INTERVAL_SECONDS = 5;

  private static final Logger log = LoggerFactory.getLogger(ProgressTicker.class);

  private final ScheduledExecutorService timer;
  private long lastBytes;
  private long lastNanos = System.nanoTime();

  /** Where each line goes besides the log. */
  @FunctionalInterface
  interface Reporter {
    void report(ImageDownload.Progress progress, long bytesPerSecond, String line) throws Exception;
  }

  /** Progress as {@code progress} tells it, for anything that moves an image. */
  ProgressTicker(
      String deployment,
      String image,
      java.util.function.Supplier<ImageDownload.Progress> progress,
      Reporter reporter) {
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "progress");
              t.setDaemon(true);
              return t;
            });
    timer.scheduleAtFixedRate(
        () -> {
          ImageDownload.Progress p = progress.get();
          long now = System.nanoTime();
          double rate = (p.bytes() - lastBytes) / ((now - lastNanos) / 1e9);
          lastBytes = p.bytes();
          lastNanos = now;
          String line = ProgressLine.render(image, p, Math.max(0, rate));
          log.info("{}: {}", deployment, line);
          try {
            reporter.report(p, (long) Math.max(0, rate), line);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } catch (Exception e) {
            log.debug("progress not reported: {}", e.toString());
          }
        },
        INTERVAL_SECONDS,
        INTERVAL_SECONDS,
        TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
