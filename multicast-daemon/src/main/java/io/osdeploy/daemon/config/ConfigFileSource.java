package io.osdeploy.daemon.config;

import io.osdeploy.daemon.Threads;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A configuration file, read again whenever its content changes: for running without Kubernetes, or
 * with the ConfigMap mounted as a volume.
 *
 * <p>It polls instead of using a {@code WatchService}: the kubelet updates a mounted ConfigMap by
 * swapping a symlink to a new folder, which file-change events report unreliably, and reading one
 * small file every few seconds costs nothing.
 */
public final class ConfigFileSource implements ConfigSource {
  private static final Logger log = LoggerFactory.getLogger(ConfigFileSource.class);

  private final Path file;
  private final ConfigTracker tracker;
  private final Duration interval;
  private final ScheduledExecutorService poller =
      Executors.newSingleThreadScheduledExecutor(Threads.named("config-file"));
  private String lastText;
  private String lastProblem;

  public ConfigFileSource(Path file, ConfigTracker tracker, Duration interval) {
    this.file = file;
    this.tracker = tracker;
    this.interval = interval;
  }

  @Override
  public void start() {
    poller.scheduleWithFixedDelay(this::poll, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void poll() {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      problem("configuration file " + file + " does not exist");
      return;
    } catch (IOException e) {
      problem("cannot read configuration file " + file + ": " + e.getMessage());
      return;
    }
    lastProblem = null;
    if (!text.equals(lastText)) {
      lastText = text;
      tracker.accept(file.toString(), text);
    }
  }

  /** Logs a problem once, not on every poll. */
  private void problem(String message) {
    if (!message.equals(lastProblem)) {
      lastProblem = message;
      log.error("{}; keeping the current configuration", message);
    }
    // Read again in full once the file is back, even if its text is what it was.
    lastText = null;
  }

  @Override
  public void close() {
    poller.shutdownNow();
  }
}
