package io.osdeploy.daemon.config;

import io.osdeploy.config.DaemonConfig;
import io.osdeploy.config.InvalidConfigException;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's current configuration. Every text that arrives is parsed and validated: a valid one
 * that differs from the current replaces it and is handed on, an invalid one is logged with the
 * field it gets wrong and otherwise ignored, so the daemon goes on with the last valid one (or,
 * before the first, stays not ready).
 */
public final class ConfigTracker {
  private static final Logger log = LoggerFactory.getLogger(ConfigTracker.class);

  private final Consumer<DaemonConfig> onChange;
  private DaemonConfig current;
  private String currentJson;

  /** {@code onChange} gets each new valid configuration, one at a time, in order. */
  public ConfigTracker(Consumer<DaemonConfig> onChange) {
    this.onChange = onChange;
  }

  /**
   * Takes a configuration text from {@code origin} (a file, a ConfigMap); true when it became the
   * current configuration.
   */
  public synchronized boolean accept(String origin, String json) {
    DaemonConfig next;
    try {
      next = DaemonConfig.parse(json);
    } catch (InvalidConfigException e) {
      log.error(
          "{}: invalid daemon configuration: {}; {}",
          origin,
          e.getMessage(),
          current == null
              ? "waiting for a valid one (not ready)"
              : "keeping generation " + current.getGeneration());
      return false;
    }
    String canonical = next.toJson();
    if (canonical.equals(currentJson)) {
      return false;
    }
    log.info(
        "{}: configuration for {}/{} generation {} with {} images",
        origin,
        next.getNamespace(),
        next.getDistributionPoint(),
        next.getGeneration(),
        next.getImages().size());
    current = next;
    currentJson = canonical;
    onChange.accept(DaemonConfig.copyOf(next));
    return true;
  }

  public synchronized Optional<DaemonConfig> current() {
    return Optional.ofNullable(current).map(DaemonConfig::copyOf);
  }
}
