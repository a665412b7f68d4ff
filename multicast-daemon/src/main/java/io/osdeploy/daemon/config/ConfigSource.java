package io.osdeploy.daemon.config;

/** Where the daemon's configuration comes from; it hands each text it sees to a tracker. */
public interface ConfigSource extends AutoCloseable {
  /** Starts delivering; returns without waiting for the first configuration. */
  void start();

  @Override
  void close();
}
