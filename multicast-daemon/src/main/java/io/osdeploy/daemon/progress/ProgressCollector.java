package io.osdeploy.daemon.progress;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.osdeploy.api.v1alpha1.ImageCapture;
import io.osdeploy.api.v1alpha1.MachineProgress;
import io.osdeploy.api.v1alpha1.ProgressReport;
import io.osdeploy.daemon.Threads;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes agents' progress reports, keeps each machine's latest per deployment, and writes this
 * node's entry into each deployment's status: batched, at most once per interval per deployment,
 * and only when something changed. A report is journaled before the agent hears "accepted", and the
 * journal is replayed at start, so neither a daemon restart nor an API outage loses one.
 */
public final class ProgressCollector implements AutoCloseable {
  /** What became of a report. */
  public enum Outcome {
    ACCEPTED,
    /** This distribution point publishes no such deployment. */
    UNKNOWN_DEPLOYMENT,
    /** The deployment is not for this machine. */
    NOT_TARGETED,
    /** The report could not be journaled; the agent should send it again. */
    NOT_STORED,
    /**
     * An unknown computer's first report, when the deployment already tracks {@link
     * #MAX_UNKNOWN_MACHINES} unknown computers on this node.
     */
    TOO_MANY_UNKNOWN,
    /**
     * {@link #MAX_WAITING} reports already wait to be journaled (a slow disk, or a machine sending
     * faster than the disk takes them); the agent should send it again.
     */
    BUSY
  }

  /** Reports waiting for the journal at most; beyond that a report is answered BUSY at once. */
  public static final int MAX_WAITING = 1024;

  /**
   * Whom a report may come from: the deployment's uid, and whether its target list names the
   * machine.
   */
  public record Targeted(String uid, boolean listed) {}

  /**
   * Unknown computers (a deployment with {@code target.unknownComputers}) tracked per deployment on
   * one node: anyone on the LAN can make up MACs, and every one would grow memory, the journal and
   * the deployment's status. Machines the target lists are never refused.
   */
  public static final int MAX_UNKNOWN_MACHINES = 500;

  /** Where reports go, as the current configuration says. */
  public record Destination(String namespace, String node) {}

  /** The journal is rewritten, one line per machine, after this many appends. */
  static final int REWRITE_AFTER = 10_000;

  private static final Logger log = LoggerFactory.getLogger(ProgressCollector.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final class Tracked {
    final String uid;
    final Map<String, MachineProgress> machines = new LinkedHashMap<>();
    // By machine and capture name.
    final Map<String, ImageCapture> captures = new LinkedHashMap<>();
    final java.util.Set<String> unknown = new java.util.HashSet<>();
    long version;
    long flushed;
    boolean compared;
    boolean failing;

    Tracked(String uid) {
      this.uid = uid;
    }
  }

  private final ProgressJournal journal;
  private final ProgressWriter writer;
  private final Function<AgentReport, Optional<Targeted>> uidIfTargeted;
  private final Function<String, Boolean> published;
  private final Supplier<Destination> destination;
  private final Clock clock;
  private final Map<String, Tracked> deployments = new HashMap<>();
  private final Map<Outcome, java.util.concurrent.atomic.AtomicLong> outcomes =
      new java.util.EnumMap<>(Outcome.class);
  private final ScheduledExecutorService flusher =
      Executors.newSingleThreadScheduledExecutor(Threads.named("progress-flush"));
  // Journaling a report waits for the disk; it must not also wait for the API.
  private final ExecutorService acceptor =
      new java.util.concurrent.ThreadPoolExecutor(
          1,
          1,
          0,
          TimeUnit.MILLISECONDS,
          new java.util.concurrent.ArrayBlockingQueue<>(MAX_WAITING),
          Threads.named("progress-accept"));

  /**
   * @param uidIfTargeted the uid of the deployment the report names, if this distribution point
   *     publishes it and the machine may run it, and whether its target lists the machine; empty
   *     otherwise
   * @param published whether this distribution point publishes a deployment of that name at all
   */
  public ProgressCollector(
      ProgressJournal journal,
      ProgressWriter writer,
      Function<AgentReport, Optional<Targeted>> uidIfTargeted,
      Function<String, Boolean> published,
      Supplier<Destination> destination,
      Clock clock) {
    this.journal = journal;
    this.writer = writer;
    this.uidIfTargeted = uidIfTargeted;
    this.published = published;
    this.destination = destination;
    this.clock = clock;
  }

  /** Replays the journal, then writes to the API every {@code interval}. */
  public void start(Duration interval) throws IOException {
    List<ProgressJournal.Entry> entries = journal.replay();
    synchronized (this) {
      for (ProgressJournal.Entry e : entries) {
        record(e.deployment(), e.uid(), e.progress());
      }
      journal.rewrite(snapshotEntries());
    }
    if (!entries.isEmpty()) {
      log.info(
          "progress: replayed {} reports for {} deployments from {}",
          entries.size(),
          deployments.size(),
          journal.file());
    }
    long millis = interval.toMillis();
    flusher.scheduleWithFixedDelay(this::flushQuietly, millis, millis, TimeUnit.MILLISECONDS);
  }

  /** Checks and journals a report, off the caller's thread. */
  public CompletableFuture<Outcome> submit(AgentReport report) {
    try {
      return CompletableFuture.supplyAsync(() -> accept(report), acceptor);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      synchronized (this) {
        outcomes
            .computeIfAbsent(Outcome.BUSY, o -> new java.util.concurrent.atomic.AtomicLong())
            .incrementAndGet();
      }
      return CompletableFuture.completedFuture(Outcome.BUSY);
    }
  }

  /** Checks and journals a report; the API hears of it at the next flush. */
  public synchronized Outcome accept(AgentReport report) {
    Outcome outcome = decide(report);
    outcomes
        .computeIfAbsent(outcome, o -> new java.util.concurrent.atomic.AtomicLong())
        .incrementAndGet();
    return outcome;
  }

  /** How many reports had each outcome so far, by lower-case outcome name. */
  public synchronized Map<String, Long> outcomes() {
    Map<String, Long> counts = new java.util.TreeMap<>();
    for (Outcome o : Outcome.values()) {
      java.util.concurrent.atomic.AtomicLong n = outcomes.get(o);
      counts.put(o.name().toLowerCase(java.util.Locale.ROOT), n == null ? 0 : n.get());
    }
    return counts;
  }

  private Outcome decide(AgentReport report) {
    Optional<Targeted> targeted = uidIfTargeted.apply(report);
    if (targeted.isEmpty()) {
      return Boolean.TRUE.equals(published.apply(report.deployment()))
          ? Outcome.NOT_TARGETED
          : Outcome.UNKNOWN_DEPLOYMENT;
    }
    String uid = targeted.get().uid();
    Tracked tracked = deployments.get(report.deployment());
    boolean sameDeployment = tracked != null && Objects.equals(tracked.uid, uid);
    if (!targeted.get().listed()
        && sameDeployment
        && !tracked.unknown.contains(report.machine())
        && tracked.unknown.size() >= MAX_UNKNOWN_MACHINES) {
      return Outcome.TOO_MANY_UNKNOWN;
    }
    MachineProgress progress =
        new MachineProgress(
            report.mac(),
            report.uuid(),
            report.state(),
            report.step(),
            report.message(),
            Instant.now(clock).truncatedTo(ChronoUnit.MILLIS).toString());
    progress.setImageBytes(report.imageBytes());
    progress.setImageTotalBytes(report.imageTotalBytes());
    progress.setImageBytesPerSecond(report.imageBytesPerSecond());
    try {
      journal.append(new ProgressJournal.Entry(report.deployment(), uid, progress));
    } catch (IOException e) {
      log.error("progress: cannot journal a report for {}", report.deployment(), e);
      return Outcome.NOT_STORED;
    }
    Tracked recorded = record(report.deployment(), uid, progress);
    if (!targeted.get().listed()) {
      recorded.unknown.add(progress.machine());
    }
    if (journal.appendedSinceRewrite() >= REWRITE_AFTER) {
      try {
        journal.rewrite(snapshotEntries());
      } catch (IOException e) {
        log.warn("progress: cannot rewrite {}; it keeps growing", journal.file(), e);
      }
    }
    return Outcome.ACCEPTED;
  }

  /**
   * Lists an image a captureImage step uploaded in this node's entry of the deployment's status, at
   * the next write; one per machine and capture name. The capture store keeps captures across
   * restarts and records them again at start, so they need no journal.
   */
  public synchronized void recordCapture(String deployment, String uid, ImageCapture capture) {
    Tracked t = tracked(deployment, uid);
    t.captures.put(capture.machine() + "/" + capture.getName(), capture);
    t.version++;
  }

  private Tracked tracked(String deployment, String uid) {
    Tracked t = deployments.get(deployment);
    if (t == null || !Objects.equals(t.uid, uid)) {
      // A deployment deleted and made again under the same name starts from nothing.
      t = new Tracked(uid);
      deployments.put(deployment, t);
    }
    return t;
  }

  private Tracked record(String deployment, String uid, MachineProgress progress) {
    Tracked t = tracked(deployment, uid);
    t.machines.remove(progress.machine());
    t.machines.put(progress.machine(), progress);
    t.version++;
    return t;
  }

  private List<ProgressJournal.Entry> snapshotEntries() {
    List<ProgressJournal.Entry> entries = new ArrayList<>();
    deployments.forEach(
        (name, t) ->
            t.machines
                .values()
                .forEach(p -> entries.add(new ProgressJournal.Entry(name, t.uid, p))));
    return entries;
  }

  private void flushQuietly() {
    try {
      flush();
    } catch (RuntimeException e) {
      log.warn("progress: writing reports failed; retrying at the next interval", e);
    }
  }

  /** Writes this node's entry for each deployment whose reports changed since the last write. */
  public void flush() {
    Destination where = destination.get();
    if (where == null) {
      return;
    }
    record Pending(String deployment, String uid, long version, ProgressReport report) {}
    List<Pending> pending = new ArrayList<>();
    synchronized (this) {
      deployments.forEach(
          (name, t) -> {
            if (t.version > t.flushed) {
              List<MachineProgress> machines = new ArrayList<>(t.machines.values());
              machines.sort(Comparator.comparing(MachineProgress::machine));
              ProgressReport report = new ProgressReport(where.node(), machines);
              report.setCaptures(List.copyOf(t.captures.values()));
              pending.add(new Pending(name, t.uid, t.version, report));
            }
          });
    }
    for (Pending p : pending) {
      write(where, p.deployment(), p.uid(), p.version(), p.report());
    }
  }

  private void write(
      Destination where, String deployment, String uid, long version, ProgressReport report) {
    Tracked t;
    synchronized (this) {
      t = deployments.get(deployment);
    }
    try {
      boolean same = false;
      if (!t.compared) {
        Optional<ProgressReport> current =
            writer.read(where.namespace(), deployment, uid, where.node());
        same = current.isPresent() && sameReport(current.get(), report);
      }
      if (!same) {
        writer.apply(where.namespace(), deployment, uid, report);
      }
      synchronized (this) {
        t.compared = true;
        t.flushed = Math.max(t.flushed, version);
        if (t.failing) {
          log.info("progress: writing {} works again", deployment);
          t.failing = false;
        }
      }
    } catch (ProgressWriter.DeploymentGone e) {
      synchronized (this) {
        if (deployments.get(deployment) == t) {
          deployments.remove(deployment);
        }
      }
      log.info("progress: {} is gone ({}); dropping its reports", deployment, e.getMessage());
    } catch (RuntimeException e) {
      synchronized (this) {
        if (!t.failing) {
          log.warn("progress: cannot write {} yet; retrying", deployment, e);
          t.failing = true;
        }
      }
    }
  }

  private static boolean sameReport(ProgressReport a, ProgressReport b) {
    return JSON.valueToTree(a).equals(JSON.valueToTree(b));
  }

  /** The latest report of each machine for {@code deployment}, for tests and diagnostics. */
  public synchronized List<MachineProgress> machines(String deployment) {
    Tracked t = deployments.get(deployment);
    return t == null ? List.of() : List.copyOf(t.machines.values());
  }

  @Override
  public void close() {
    acceptor.shutdown();
    flusher.shutdown();
    try {
      if (acceptor.awaitTermination(5, TimeUnit.SECONDS)
          && flusher.awaitTermination(5, TimeUnit.SECONDS)) {
        flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      journal.close();
    } catch (IOException e) {
      log.debug("progress: closing the journal", e);
    }
  }
}
