package io.osdeploy.daemon;

import io.osdeploy.config.DaemonConfig;

/**
 * One lifecycle of the daemon: it takes each new valid configuration, one at a time and in the
 * order {@link Daemon} gives, and stops with the daemon.
 */
interface DaemonComponent extends AutoCloseable {
  /** Takes {@code next}, the daemon's new configuration. */
  void apply(DaemonConfig next);

  /** Stops what this component runs; called once, as the daemon stops. */
  @Override
  void close();
}
