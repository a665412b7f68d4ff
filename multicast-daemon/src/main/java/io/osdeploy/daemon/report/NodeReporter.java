package io.osdeploy.daemon.report;

import io.osdeploy.api.v1alpha1.NodeStatus;
import io.osdeploy.daemon.Durations;
import io.osdeploy.daemon.Threads;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's entry of the DistributionPoint's status current, and writes nothing else: only
 * when the entry changed, at once for a change of phase, at most once per progress interval while
 * only byte counts move, and never when the entry is what was written last (the API server holds
 * what it held). At start it reads the entry the server has, so a restart that changes nothing
 * writes nothing.
 *
 * <p>An entry removed by someone else comes back with the node's next change, or at restart.
 */
public final class NodeReporter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeReporter.class);
  private static final Duration RETRY_FIRST = Duration.ofSeconds(2);
  private static final Duration RETRY_MAX = Duration.ofMinutes(1);

  private final NodeStatusWriter writer;
  private final Supplier<Optional<NodeReport>> reports;
  private final Duration progressInterval;
  private final ScheduledExecutorService executor =
      Executors.newSingleThreadScheduledExecutor(Threads.named("node-reporter"));

  // Reporter thread only.
  private String target;
  private NodeStatus written;
  private long writtenAtNanos;
  private long retryAtNanos;
  private ScheduledFuture<?> pending;
  private int failures;

  /**
   * @param reports the node's report as it is now; empty while the daemon has no configuration
   */
  public NodeReporter(
      NodeStatusWriter writer, Supplier<Optional<NodeReport>> reports, Duration progressInterval) {
    this.writer = writer;
    this.reports = reports;
    this.progressInterval = progressInterval;
  }

  /** Something the report is made of may have changed; cheap, and safe from any thread. */
  public void changed() {
    try {
      executor.execute(this::evaluate);
    } catch (RejectedExecutionException e) {
      log.debug("reporter closed; change not reported");
    }
  }

  private void evaluate() {
    try {
      evaluateNow();
    } catch (RuntimeException e) {
      log.error("node status report failed", e);
    }
  }

  private void evaluateNow() {
    Optional<NodeReport> next = reports.get();
    if (next.isEmpty()) {
      return;
    }
    NodeReport report = next.get();
    if (!report.key().equals(target)) {
      target = report.key();
      written = readCurrent(report);
      writtenAtNanos = System.nanoTime() - progressInterval.toNanos();
      retryAtNanos = System.nanoTime();
    }
    ReportDecision decision = ReportDecision.decide(written, report.node());
    if (decision == ReportDecision.NOTHING_CHANGED) {
      cancelPending();
      return;
    }
    long now = System.nanoTime();
    long earliest = retryAtNanos;
    if (decision == ReportDecision.PROGRESS_ONLY) {
      earliest = later(earliest, writtenAtNanos + progressInterval.toNanos());
    }
    long wait = earliest - now;
    if (wait <= 0) {
      write(report);
    } else if (pending == null) {
      pending = executor.schedule(this::evaluateLater, wait, TimeUnit.NANOSECONDS);
    }
  }

  private static long later(long a, long b) {
    return a - b > 0 ? a : b;
  }

  private void evaluateLater() {
    pending = null;
    evaluate();
  }

  private NodeStatus readCurrent(NodeReport report) {
    try {
      return writer
          .read(report.namespace(), report.distributionPoint(), report.node().getName())
          .orElse(null);
    } catch (RuntimeException e) {
      log.warn("{}: cannot read the node's status entry; writing it", report.key(), e);
      return null;
    }
  }

  private void write(NodeReport report) {
    cancelPending();
    try {
      writer.apply(report);
    } catch (RuntimeException e) {
      failures++;
      Duration delay = retryDelay(failures);
      log.warn(
          "{}: writing node {}'s status failed; trying again in {}",
          report.key(),
          report.node().getName(),
          Durations.format(delay),
          e);
      retryAtNanos = System.nanoTime() + delay.toNanos();
      pending = executor.schedule(this::evaluateLater, delay.toMillis(), TimeUnit.MILLISECONDS);
      return;
    }
    failures = 0;
    retryAtNanos = System.nanoTime();
    written = report.node();
    writtenAtNanos = System.nanoTime();
    log.debug("{}: node {} reported", report.key(), report.node().getName());
  }

  private void cancelPending() {
    if (pending != null) {
      pending.cancel(false);
      pending = null;
    }
  }

  private static Duration retryDelay(int failures) {
    Duration delay = RETRY_FIRST;
    for (int i = 1; i < failures && delay.compareTo(RETRY_MAX) < 0; i++) {
      delay = delay.multipliedBy(2);
    }
    return delay.compareTo(RETRY_MAX) > 0 ? RETRY_MAX : delay;
  }

  /** Returns once every change handed over before this call has been evaluated (for tests). */
  void awaitIdle() {
    try {
      executor.submit(() -> {}).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Stops reporting; the node's entry stays as last written. */
  @Override
  public void close() {
    executor.shutdownNow();
  }
}
