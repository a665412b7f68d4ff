package io.osdeploy.daemon;

import io.osdeploy.config.DaemonConfig;
import io.osdeploy.daemon.policy.PolicyBook;
import io.osdeploy.daemon.policy.PolicyWatcher;

/**
 * The deployment policy this node publishes: the book every answer to a machine is read from, kept
 * current by a watch of the API where one runs.
 */
final class PolicyComponent implements DaemonComponent {
  private final PolicyBook book = new PolicyBook();
  private volatile PolicyWatcher watcher;

  PolicyBook book() {
    return book;
  }

  void watch(PolicyWatcher watcher) {
    this.watcher = watcher;
  }

  /** Publishes again for the distribution point the configuration now names. */
  @Override
  public void apply(DaemonConfig next) {
    PolicyWatcher current = watcher;
    if (current != null) {
      current.rebuild();
    }
  }

  @Override
  public void close() {
    if (watcher != null) {
      watcher.close();
    }
  }
}
