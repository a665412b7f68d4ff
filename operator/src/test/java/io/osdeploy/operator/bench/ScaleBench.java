package io.osdeploy.operator.bench;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.daemon.bench.PolicyLookupBench;
import io.osdeploy.operator.local.Crds;
import io.osdeploy.operator.local.LocalApiServer;
import io.osdeploy.operator.testing.OperatorProcess;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.PrometheusText;
import io.osdeploy.operator.testing.TestCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The operator at fleet scale against a real kube-apiserver and etcd: applies {@link ScaleFleet}
 * (by default 10 OS images, 100 distribution points, 1,000 deployments targeting 5,000 machines and
 * 100 boot media) with the operator's jar running as in its pod, one stand-in node per distribution
 * point reporting its images ({@link StandInNodes}), and measures the time to all Ready, each
 * resource's create-to-Ready latency, JOSDK's reconcile timings, the operator's heap and RSS, its
 * API requests while idle (from the audit log) and policy lookups on a distribution point. Prints a
 * table, writes the full report and puts the table in its section of the benchmarks page.
 *
 * <p>A benchmark, not a test: {@code bench/scale.sh} runs it; {@code mvn verify} does not.
 */
public final class ScaleBench {
  static final String NAMESPACE = "osdeploy-scale";
  static final String OPERATOR_NAMESPACE = "osdeploy-system";

  /** The operator's user agent (fabric8 reads KUBERNETES_USER_AGENT), to find it in the log. */
  static final String OPERATOR_AGENT = "osdeploy-operator/scale-bench";

  static final String BENCH_AGENT = "osdeploy-scale-bench";

  /** The heap a pod of deploy/operator.yaml gets: 50% (MaxRAMPercentage) of its 768Mi limit. */
  static final String OPERATOR_HEAP = "-Xmx384m";

  static final Map<String, String> CONTROLLERS =
      Map.of(
          "OSImage", "osimage",
          "DistributionPoint", "distributionpoint",
          "TaskSequenceDeployment", "tasksequencedeployment",
          "BootableMedia", "bootablemedia");

  static final List<String> KINDS =
      List.of("OSImage", "DistributionPoint", "TaskSequenceDeployment", "BootableMedia");

  private ScaleBench() {}

  /** The command line: {@code --name value} pairs, each with a default. */
  record Options(
      Path samples,
      Path report,
      Path page,
      ScaleFleet fleet,
      int idleSeconds,
      int readyTimeoutSeconds,
      boolean livePage,
      String command) {
    static Options parse(String[] args) {
      Map<String, String> o = new LinkedHashMap<>();
      o.put("samples", "../samples");
      o.put("report", "../docs/benchmarks-scale.md");
      o.put("page", "../docs/benchmarks.md");
      o.put("images", "10");
      o.put("distribution-points", "100");
      o.put("deployments", "1000");
      o.put("machines-each", "5");
      o.put("media", "100");
      o.put("idle-seconds", "120");
      o.put("ready-timeout-seconds", "1800");
      o.put("live-page", "on");
      o.put("command", "bench/scale.sh");
      for (int i = 0; i + 1 < args.length; i += 2) {
        String key = args[i].replaceFirst("^--", "");
        if (!o.containsKey(key)) {
          throw new IllegalArgumentException(
              "unknown option " + args[i] + "; known: " + o.keySet());
        }
        o.put(key, args[i + 1]);
      }
      return new Options(
          Path.of(o.get("samples")),
          Path.of(o.get("report")),
          Path.of(o.get("page")),
          new ScaleFleet(
              Integer.parseInt(o.get("images")),
              Integer.parseInt(o.get("distribution-points")),
              Integer.parseInt(o.get("deployments")),
              Integer.parseInt(o.get("machines-each")),
              Integer.parseInt(o.get("media"))),
          Integer.parseInt(o.get("idle-seconds")),
          Integer.parseInt(o.get("ready-timeout-seconds")),
          !o.get("live-page").equals("off"),
          o.get("command"));
    }
  }

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    ScaleFleet fleet = options.fleet();
    List<HasMetadata> resources = fleet.all(options.samples());
    String loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();
    long runStart = System.nanoTime();

    say("starting kube-apiserver and etcd (audit log at level Metadata)");
    KubernetesClient admin = TestCluster.newClient(BENCH_AGENT);
    Path auditLog = TestCluster.auditLog();
    Crds.install(admin);
    for (String ns : List.of(NAMESPACE, OPERATOR_NAMESPACE)) {
      admin
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
          .serverSideApply();
    }

    KubernetesClient watchClient = TestCluster.newClient(BENCH_AGENT + "/watch");
    ReadyWatch watch = new ReadyWatch();
    watch.watch(watchClient, NAMESPACE, OSImage.class);
    watch.watch(watchClient, NAMESPACE, DistributionPoint.class);
    watch.watch(watchClient, NAMESPACE, TaskSequenceDeployment.class);
    watch.watch(watchClient, NAMESPACE, BootableMedia.class);
    StandInNodes nodes = new StandInNodes(TestCluster.newClient(BENCH_AGENT + "/nodes"), NAMESPACE);

    say("starting the operator's jar as in its pod (" + OPERATOR_HEAP + ")");
    OperatorProcess operator =
        OperatorProcess.startInCluster(
            OPERATOR_NAMESPACE,
            "osdeploy-operator-0",
            options.livePage()
                ? Map.of(
                    "JAVA_TOOL_OPTIONS", OPERATOR_HEAP, "KUBERNETES_USER_AGENT", OPERATOR_AGENT)
                : Map.of(
                    "JAVA_TOOL_OPTIONS",
                    OPERATOR_HEAP,
                    "KUBERNETES_USER_AGENT",
                    OPERATOR_AGENT,
                    "OSDEPLOY_PAGE_PORT",
                    "0"));
    Result result = new Result(options, loadBefore);
    PrometheusText end;
    Map<String, Double> peaks;
    try (OperatorProbe probe = new OperatorProbe(operator.pid(), operator.opsPort())) {
      awaitReadyz(operator);
      result.rssBeforeKib = probe.procKib("VmRSS");
      double cpuAtStart = probe.cpuSeconds();
      result.heapBeforeBytes = OperatorProbe.heapUsedBytes(probe.scrape());
      probe.startSampling(java.time.Duration.ofSeconds(5));

      say("applying " + resources.size() + " resources");
      Instant applyStart = Instant.now();
      long t0 = System.nanoTime();
      apply(admin, watch, resources);
      result.applySeconds = (System.nanoTime() - t0) / 1e9;
      watch.sentAll();
      say(
          String.format(
              Locale.ROOT, "applied in %.1f s; waiting for all Ready", result.applySeconds));
      Thread progress = progress(watch, resources.size());
      long readyNanos = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.readyTimeoutSeconds());
      while (readyNanos == 0 && System.nanoTime() < deadline && operator.isAlive()) {
        readyNanos = watch.awaitAllReady(5);
      }
      progress.interrupt();
      if (!operator.isAlive()) {
        throw new IllegalStateException(
            "the operator exited before all were Ready; its log ends:\n"
                + operator
                    .log()
                    .lines()
                    .skip(Math.max(0, operator.log().lines().count() - 40))
                    .collect(Collectors.joining("\n")));
      }
      Instant readyAt;
      if (readyNanos == 0) {
        readyAt = Instant.now();
        result.readySeconds = Double.NaN;
        say("not all Ready after " + options.readyTimeoutSeconds() + " s");
      } else {
        readyAt = applyStart.plusNanos(readyNanos - t0);
        result.readySeconds = (readyNanos - t0) / 1e9;
        say(
            String.format(
                Locale.ROOT, "all Ready %.1f s after the first apply", result.readySeconds));
      }
      result.readyCount = watch.readyNow();
      result.entries = watch.entries();
      PrometheusText atReady = probe.scrape();
      result.heapAtReadyBytes = OperatorProbe.heapUsedBytes(atReady);
      result.heapMaxBytes = OperatorProbe.heapMaxBytes(atReady);
      result.rssAtReadyKib = probe.procKib("VmRSS");
      double cpuAtReady = probe.cpuSeconds();
      result.cpuRampSeconds = cpuAtReady - cpuAtStart;

      say("idle for " + options.idleSeconds() + " s: counting the operator's requests");
      Instant idleFrom = Instant.now();
      int readyBeforeIdle = watch.readyNow();
      Thread.sleep(options.idleSeconds() * 1000L);
      Instant idleTo = Instant.now();
      result.cpuIdleSeconds = probe.cpuSeconds() - cpuAtReady;
      result.readyAfterIdle = watch.readyNow();
      result.readyBeforeIdle = readyBeforeIdle;
      result.idleSeconds = (idleTo.toEpochMilli() - idleFrom.toEpochMilli()) / 1000.0;

      if (options.livePage()) {
        say("the live page: its first event, and in chromium its first draw and a report");
        double cpuBefore = probe.cpuSeconds();
        result.livePage =
            LivePageProbe.measure(
                admin, NAMESPACE, operator.pagePort(), options.fleet().deployments());
        result.livePageCpuSeconds = probe.cpuSeconds() - cpuBefore;
      }
      end = probe.scrape();
      peaks = probe.peakReconcileSeconds();
      result.rssPeakKib = probe.procKib("VmHWM");
      result.heapPeakBytes = Math.max(probe.peakHeapBytes(), result.heapAtReadyBytes);
      if (probe.fullGc()) {
        Thread.sleep(1000);
        result.heapAfterGcBytes = OperatorProbe.heapUsedBytes(probe.scrape());
      }
      result.rssEndKib = probe.procKib("VmRSS");

      result.ramp = AuditCounts.of(auditLog, OPERATOR_AGENT, applyStart, readyAt);
      result.idle = AuditCounts.of(auditLog, OPERATOR_AGENT, idleFrom, idleTo);
      result.nodesReporting = nodes.nodes();
    } finally {
      operator.terminate();
      if (operator.awaitExit(30) == null) {
        operator.close();
      }
      nodes.close();
      watch.close();
    }
    String log = operator.log();
    result.reconciles = reconcileTimings(end, peaks, log);
    Path savedLog = Path.of("target", "scale-bench-operator.log");
    Files.writeString(savedLog, log);
    say("the operator's log: " + savedLog.toAbsolutePath() + "; the audit log: " + auditLog);
    result.operatorWarnings = log.lines().filter(l -> l.contains(" WARN ")).count();
    result.operatorErrors = log.lines().filter(l -> l.contains(" ERROR ")).count();
    result.firstProblems =
        log.lines().filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).limit(5).toList();

    say("policy lookups, with the deployments as the API server holds them");
    List<TaskSequenceDeployment> all =
        admin.resources(TaskSequenceDeployment.class).inNamespace(NAMESPACE).list().getItems();
    String dp = ScaleFleet.distributionPoint(0);
    // What the daemon of dp-000 publishes (PolicyWatcher): its deployments that are Ready.
    List<TaskSequenceDeployment> published =
        all.stream()
            .filter(d -> d.getSpec().getDistributionPoints().contains(dp))
            .filter(ReadyWatch::readyForGeneration)
            .toList();
    PolicyLookupBench.measure(all); // warm-up: a daemon that serves machines is warm
    result.policyOneDp = PolicyLookupBench.measure(published);
    result.policyWholeFleet = PolicyLookupBench.measure(all);
    result.loadAfter = Files.readString(Path.of("/proc/loadavg")).trim();
    result.totalSeconds = (System.nanoTime() - runStart) / 1e9;
    admin.close();
    watchClient.close();

    String table = result.table();
    System.out.println();
    System.out.println(table);
    Files.writeString(options.report(), result.report(table));
    writeSection(options.page(), "scale", result.section(table));
    say("wrote " + options.report() + " and the scale section of " + options.page());
    System.exit(0);
  }

  private static void apply(KubernetesClient client, ReadyWatch watch, List<HasMetadata> resources)
      throws Exception {
    // A GitOps tool applies with a few requests in flight, not one at a time.
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (HasMetadata r : resources) {
        done.add(
            pool.submit(
                () -> {
                  watch.sending(r.getKind(), r.getMetadata().getName());
                  OperatorTests.apply(client, NAMESPACE, "scale-bench", r);
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static void awaitReadyz(OperatorProcess operator) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (operator.get("/readyz") != 200) {
      if (!operator.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException("the operator did not become ready:\n" + operator.log());
      }
      Thread.sleep(250);
    }
  }

  private static Thread progress(ReadyWatch watch, int total) {
    Thread t =
        new Thread(
            () -> {
              try {
                while (true) {
                  Thread.sleep(15_000);
                  say(watch.readyNow() + " of " + total + " Ready");
                }
              } catch (InterruptedException e) {
                // done
              }
            },
            "progress");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * JOSDK's timer per controller: executions, mean, and the largest max seen; and how many
   * reconciles failed, from the operator's log (JOSDK's failed counter skips a failure that is
   * retried at once because an event came in meanwhile, which is how a conflict ends).
   */
  record Reconciles(
      long count,
      double meanSeconds,
      double p50Seconds,
      double p99Seconds,
      double maxSeconds,
      long failures) {}

  private static Map<String, Reconciles> reconcileTimings(
      PrometheusText scrape, Map<String, Double> peaks, String operatorLog) {
    Map<String, Reconciles> byKind = new LinkedHashMap<>();
    for (String kind : KINDS) {
      Map<String, String> c = Map.of("controller", CONTROLLERS.get(kind));
      double count = scrape.sum("operator_sdk_controllers_execution_reconcile_seconds_count", c);
      double sum = scrape.sum("operator_sdk_controllers_execution_reconcile_seconds_sum", c);
      double max =
          Math.max(
              scrape.sum("operator_sdk_controllers_execution_reconcile_seconds_max", c),
              peaks.getOrDefault(CONTROLLERS.get(kind), 0.0));
      String prefix = " " + NAMESPACE + "/" + ScaleFleet.namePrefix(kind);
      long failures =
          operatorLog
              .lines()
              .filter(l -> l.contains(": reconcile failed, will retry") && l.contains(prefix))
              .count();
      byKind.put(
          kind,
          new Reconciles(
              (long) count,
              count == 0 ? 0 : sum / count,
              quantile(scrape, c, 0.50),
              quantile(scrape, c, 0.99),
              max,
              failures));
    }
    return byKind;
  }

  /**
   * The {@code q} quantile of the reconcile timer's histogram for the controller labels {@code c},
   * interpolated within its bucket as Prometheus' histogram_quantile does.
   */
  static double quantile(PrometheusText scrape, Map<String, String> c, double q) {
    java.util.TreeMap<Double, Double> cumulative = new java.util.TreeMap<>();
    for (PrometheusText.Sample b :
        scrape.find("operator_sdk_controllers_execution_reconcile_seconds_bucket", c)) {
      String le = b.labels().get("le");
      double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
      cumulative.merge(bound, b.value(), Double::sum);
    }
    if (cumulative.isEmpty() || cumulative.lastEntry().getValue() == 0) {
      return 0;
    }
    double rank = q * cumulative.lastEntry().getValue();
    double lower = 0;
    double below = 0;
    for (Map.Entry<Double, Double> bucket : cumulative.entrySet()) {
      if (bucket.getValue() >= rank) {
        if (bucket.getKey().isInfinite()) {
          return lower;
        }
        double inBucket = bucket.getValue() - below;
        return inBucket == 0
            ? bucket.getKey()
            : lower + (bucket.getKey() - lower) * (rank - below) / inBucket;
      }
      lower = bucket.getKey();
      below = bucket.getValue();
    }
    return lower;
  }

  /** Everything measured, and how it reads. */
  static final class Result {
    final Options options;
    final String loadBefore;
    String loadAfter;
    double applySeconds;
    double readySeconds;
    int readyCount;
    int readyBeforeIdle;
    int readyAfterIdle;
    double idleSeconds;
    double totalSeconds;
    List<ReadyWatch.Entry> entries = List.of();
    double cpuRampSeconds;
    double cpuIdleSeconds;
    long rssBeforeKib;
    long rssAtReadyKib;
    long rssPeakKib;
    long rssEndKib;
    long heapBeforeBytes;
    long heapAtReadyBytes;
    long heapPeakBytes;
    long heapAfterGcBytes = -1;
    long heapMaxBytes;
    Map<String, Reconciles> reconciles = Map.of();
    AuditCounts ramp;
    AuditCounts idle;
    int nodesReporting;
    long operatorWarnings;
    long operatorErrors;
    List<String> firstProblems = List.of();
    LivePageProbe livePage;
    double livePageCpuSeconds;
    PolicyLookupBench.Result policyOneDp;
    PolicyLookupBench.Result policyWholeFleet;
    final String date =
        DateTimeFormatter.ISO_LOCAL_DATE.format(Instant.now().atOffset(ZoneOffset.UTC));

    Result(Options options, String loadBefore) {
      this.options = options;
      this.loadBefore = loadBefore;
    }

    ScaleFleet fleet() {
      return options.fleet();
    }

    int total() {
      return fleet().resources();
    }

    boolean allReady() {
      return !Double.isNaN(readySeconds);
    }

    double idleWritesPerMinute() {
      return 60 * idle.writes() / idleSeconds;
    }

    double idleWritesPerMinuteBesidesLease() {
      return 60 * (idle.writes() - idle.writesTo("leases")) / idleSeconds;
    }

    List<Double> latencies(String kind) {
      return entries.stream()
          .filter(e -> kind == null || e.kind.equals(kind))
          .filter(e -> e.readyNanos != 0 && e.sentNanos != 0)
          .map(ReadyWatch.Entry::latencySeconds)
          .sorted()
          .toList();
    }

    String table() {
      StringBuilder t = new StringBuilder();
      t.append("| Measure | Result | Target | Met |\n|---|---|---|---|\n");
      ScaleFleet f = fleet();
      row(
          t,
          "Resources Ready for their generation",
          String.format(
              Locale.ROOT,
              "%,d of %,d: %d OSImages, %d DistributionPoints, %,d TaskSequenceDeployments"
                  + " targeting %,d machines, %d BootableMedia",
              readyCount,
              total(),
              f.images(),
              f.distributionPoints(),
              f.deployments(),
              f.machines(),
              f.media()),
          "all",
          allReady() ? "met" : "**not met**");
      row(
          t,
          "Apply to all Ready",
          allReady()
              ? String.format(
                  Locale.ROOT,
                  "%.1f s (the apply requests themselves took %.1f s)",
                  readySeconds,
                  applySeconds)
              : "not all Ready within " + options.readyTimeoutSeconds() + " s",
          "quickly (no figure set)",
          "—");
      List<Double> all = latencies(null);
      row(
          t,
          "Create-to-Ready latency per resource, p50 / p99 / max",
          String.format(
              Locale.ROOT,
              "%.1f / %.1f / %.1f s (%s)",
              pct(all, 50),
              pct(all, 99),
              pct(all, 100),
              KINDS.stream()
                  .map(
                      k ->
                          String.format(
                              Locale.ROOT,
                              "%s %.1f / %.1f",
                              k,
                              pct(latencies(k), 50),
                              pct(latencies(k), 99)))
                  .collect(Collectors.joining("; "))),
          "—",
          "—");
      row(
          t,
          "Reconcile execution (JOSDK timer at /metrics), p50 / p99 / max",
          KINDS.stream()
              .map(
                  k -> {
                    Reconciles r = reconciles.get(k);
                    return r == null
                        ? k + " n/a"
                        : String.format(
                            Locale.ROOT,
                            "%s %.1f / %.0f / %.0f ms (%,d reconciles, %,d failed)",
                            k,
                            r.p50Seconds() * 1000,
                            r.p99Seconds() * 1000,
                            r.maxSeconds() * 1000,
                            r.count(),
                            r.failures());
                  })
              .collect(Collectors.joining("; ")),
          "—",
          "—");
      row(
          t,
          "Operator CPU time (user + system)",
          String.format(
              Locale.ROOT,
              "%.1f s from the first apply to all Ready, %.2f s in %.0f s idle (serving a"
                  + " scrape of /metrics every 5 s)",
              cpuRampSeconds,
              cpuIdleSeconds,
              idleSeconds),
          "—",
          "—");
      row(
          t,
          "Operator heap used",
          String.format(
              Locale.ROOT,
              "%s at all Ready, %s peak sampled, %s after a full GC (idle); max heap %s",
              mib(heapAtReadyBytes),
              mib(heapPeakBytes),
              heapAfterGcBytes < 0 ? "n/a" : mib(heapAfterGcBytes),
              mib(heapMaxBytes)),
          "—",
          "—");
      row(
          t,
          "Operator RSS",
          String.format(
              Locale.ROOT,
              "%s before any resource, %s at all Ready, %s peak (VmHWM), %s after the idle"
                  + " period and a full GC",
              mib(rssBeforeKib * 1024),
              mib(rssAtReadyKib * 1024),
              mib(rssPeakKib * 1024),
              mib(rssEndKib * 1024)),
          "—",
          "—");
      row(t, "Live page", livePage(), "updates within 2 s; usable at this scale", livePageMet());
      row(
          t,
          "Operator API requests, apply to all Ready",
          String.format(
              Locale.ROOT,
              "%,d reads, %,d writes (%,d refused with 409 Conflict)",
              ramp.reads(),
              ramp.writes(),
              ramp.conflicts()),
          "—",
          "—");
      row(
          t,
          "Operator API requests while idle",
          String.format(
              Locale.ROOT,
              "%.1f reads/min, %.1f writes/min over %.0f s after all Ready (%.1f/min of the writes"
                  + " are leader election's Lease renewals)",
              60 * idle.reads() / idleSeconds,
              idleWritesPerMinute(),
              idleSeconds,
              60 * idle.writesTo("leases") / idleSeconds),
          "zero writes",
          idle.writes() == 0
              ? "met"
              : idle.writes() == idle.writesTo("leases")
                  ? "met for the resources; **not met** counting the Lease"
                  : "**not met**");
      row(
          t,
          "Policy lookups on a DP (one thread)",
          String.format(
              Locale.ROOT,
              "%,d/s with dp-000's %d published deployments (%d machines); %,d/s with all %,d"
                  + " deployments (%,d machines) on one DP",
              policyOneDp.lookupsPerSecond(),
              policyOneDp.deployments(),
              policyOneDp.machines(),
              policyWholeFleet.lookupsPerSecond(),
              policyWholeFleet.deployments(),
              policyWholeFleet.machines()),
          "—",
          "—");
      return t.toString();
    }

    String machine() {
      return String.format(
          Locale.ROOT,
          "%d cores, Java %s, kube-apiserver %s; the machine is shared with other builds (load"
              + " average over one minute %s before the run, %s after)",
          Runtime.getRuntime().availableProcessors(),
          System.getProperty("java.version"),
          LocalApiServer.DEFAULT_VERSION,
          loadBefore.split(" ")[0],
          loadAfter.split(" ")[0]);
    }

    String livePage() {
      if (!options.livePage()) {
        return "off for this run (`--live-page off`): the operator's CPU and memory above are"
            + " without it";
      }
      LivePageProbe p = livePage;
      String first =
          String.format(
              Locale.ROOT,
              "the whole state (its first event) %.2f MiB in %.2f s",
              p.snapshotBytes / 1048576.0,
              p.snapshotSeconds);
      if (!"measured".equals(p.browser)) {
        return first + "; in a browser " + p.browser;
      }
      return first
          + String.format(
              Locale.ROOT,
              "; chromium drew all %,d deployments %.1f s after opening it, showed a machine's"
                  + " report %.2f s after it was written, JavaScript heap %s; the operator's CPU"
                  + " while serving it all %.2f s (it reads the metrics' informers, open from the"
                  + " start)",
              fleet().deployments(),
              p.firstDrawSeconds,
              p.reportOnScreenSeconds,
              String.format(Locale.ROOT, "%.1f MiB", p.jsHeapBytes / 1048576.0),
              livePageCpuSeconds);
    }

    String livePageMet() {
      if (!options.livePage() || !"measured".equals(livePage.browser)) {
        return "—";
      }
      return livePage.reportOnScreenSeconds <= 2 ? "met" : "**not met**";
    }

    String section(String table) {
      return String.join(
          "\n",
          "## Scale",
          "",
          "Measured by `"
              + options.command()
              + "` on "
              + date
              + String.format(Locale.ROOT, " in %.0f s (after the build): ", totalSeconds)
              + machine()
              + ". How each figure is measured, per-kind figures and the operator's requests:"
              + " [benchmarks-scale.md](benchmarks-scale.md).",
          "",
          table);
    }

    String report(String table) {
      StringBuilder md = new StringBuilder();
      md.append("# Scale benchmark\n\n");
      md.append("Measured by `")
          .append(options.command())
          .append("` on ")
          .append(date)
          .append(": ")
          .append(machine())
          .append(
              String.format(
                  Locale.ROOT, ". The run took %.0f s after the build.\n\n", totalSeconds));
      md.append(table).append('\n');
      md.append(
          String.format(
              Locale.ROOT,
              HOW,
              fleet().distributionPoints(),
              fleet().deployments() / fleet().distributionPoints(),
              fleet().images(),
              fleet().machinesEach()));
      md.append("\n## Per kind\n\n");
      md.append(
          "| Kind | Resources | Ready | Create-to-Ready p50 (s) | p99 (s) | max (s) | Reconciles |"
              + " Reconcile mean (ms) | p50 (ms) | p99 (ms) | max (ms) | Failed reconciles |\n");
      md.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
      for (String kind : KINDS) {
        List<Double> l = latencies(kind);
        long count = entries.stream().filter(e -> e.kind.equals(kind)).count();
        long ready = entries.stream().filter(e -> e.kind.equals(kind) && e.ready).count();
        Reconciles r = reconciles.getOrDefault(kind, new Reconciles(0, 0, 0, 0, 0, 0));
        md.append(
            String.format(
                Locale.ROOT,
                "| %s | %,d | %,d | %.1f | %.1f | %.1f | %,d | %.1f | %.1f | %.0f | %.0f | %,d |%n",
                kind,
                count,
                ready,
                pct(l, 50),
                pct(l, 99),
                pct(l, 100),
                r.count(),
                r.meanSeconds() * 1000,
                r.p50Seconds() * 1000,
                r.p99Seconds() * 1000,
                r.maxSeconds() * 1000,
                r.failures()));
      }
      List<ReadyWatch.Entry> notReady =
          entries.stream()
              .filter(e -> !e.ready)
              .sorted(Comparator.comparing(e -> e.kind + "/" + e.name))
              .toList();
      if (!notReady.isEmpty()) {
        md.append("\n## Not Ready at the end\n\n");
        notReady.stream()
            .limit(30)
            .forEach(
                e ->
                    md.append("- ")
                        .append(e.kind)
                        .append('/')
                        .append(e.name)
                        .append(": ")
                        .append(e.lastCondition)
                        .append('\n'));
        if (notReady.size() > 30) {
          md.append("- and ").append(notReady.size() - 30).append(" more\n");
        }
      }
      long flapped = entries.stream().mapToLong(e -> e.lostReady.get()).sum();
      md.append("\n## The operator's requests\n\n");
      md.append(
          String.format(
              Locale.ROOT,
              "From the first apply to all Ready (%.1f s): %,d reads and %,d writes. By verb and"
                  + " resource:\n\n",
              allReady() ? readySeconds : Double.NaN,
              ramp.reads(),
              ramp.writes()));
      md.append(requests(ramp));
      md.append(
          String.format(
              Locale.ROOT,
              "\nWhile idle (%.0f s from the moment all were Ready; %,d Ready before and %,d after;"
                  + " %d times a resource left Ready during the run): %,d reads and %,d writes.\n\n",
              idleSeconds,
              readyBeforeIdle,
              readyAfterIdle,
              flapped,
              idle.reads(),
              idle.writes()));
      md.append(idle.byRequest().isEmpty() ? "No request at all.\n" : requests(idle));
      List<String> evidence =
          idle.writeEvidence().stream().filter(l -> !l.contains("\"leases\"")).toList();
      if (!evidence.isEmpty()) {
        md.append("\nWrites while idle other than the Lease, as the audit log has them:\n\n```\n");
        evidence.forEach(l -> md.append(l).append('\n'));
        md.append("```\n");
      }
      md.append(
          String.format(
              Locale.ROOT,
              "\nThe operator's log: %d warnings, %d errors%s\n",
              operatorWarnings,
              operatorErrors,
              firstProblems.isEmpty()
                  ? "."
                  : "; the first:\n\n```\n" + String.join("\n", firstProblems) + "\n```"));
      md.append(
          String.format(
              Locale.ROOT,
              "\nStand-in nodes that read their configuration and reported: %d of %d.\n",
              nodesReporting,
              fleet().distributionPoints()));
      return md.toString();
    }

    private static String requests(AuditCounts counts) {
      StringBuilder t =
          new StringBuilder(
              "| Request | Count | API server time p50 (ms) | max (ms) |\n|---|---|---|---|\n");
      counts.byRequest().entrySet().stream()
          .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
          .forEach(
              e -> {
                List<Double> ms = counts.millisByRequest().getOrDefault(e.getKey(), List.of());
                t.append(
                    String.format(
                        Locale.ROOT,
                        "| %s | %,d | %s | %s |%n",
                        e.getKey(),
                        e.getValue(),
                        ms.isEmpty() ? "—" : String.format(Locale.ROOT, "%.1f", pct(ms, 50)),
                        ms.isEmpty() ? "—" : String.format(Locale.ROOT, "%.1f", pct(ms, 100))));
              });
      return t.toString();
    }
  }

  private static final String HOW =
      """

      ## What is measured, and how

      - **Cluster**: a real kube-apiserver and etcd started through `LocalApiServer` as the
        integration tests start them, with an audit policy at level Metadata, and
        kube-controller-manager with only the garbage collector and namespace controllers. No
        kubelet and no DaemonSet controller run, so no pod runs.
      - **Operator**: the operator's jar in a process of its own, started as `OperatorProcess`
        starts it for the tests: `run` as in its pod (in-cluster mode, leader election on its
        Lease, metrics at `/metrics`), with `-Xmx384m`, the heap a pod of `deploy/operator.yaml`
        gets (50%% of its 768Mi limit). Its client's user agent is set (fabric8's
        `KUBERNETES_USER_AGENT`) so that the audit log tells its requests from everyone else's.
      - **Fleet**: copies of the resources in `samples/` with names and references changed. Each
        distribution point has a node selector and a multicast range of its own and holds every
        OS image; deployment *i* is served by distribution point *i* mod %1$d and applies one of
        the images, so each distribution point serves %2$d deployments using all %3$d images;
        each deployment targets %4$d machines of its own by MAC; boot media *m* pins deployment
        *m* and lists no boot servers, so the operator takes them from that distribution point's
        node and builds each media (a real ISO build with xorriso) once the node has reported.
        All are server-side applied with four requests in flight, OS images first, then
        distribution points, deployments, media.
      - **Nodes**: without kubelets the benchmark stands in for the site. For each daemon
        DaemonSet the operator makes it writes the status the DaemonSet controller would (one
        node scheduled, updated and ready for the latest generation). For each daemon
        configuration (ConfigMap) the operator writes, one node reports every image in it
        Verified with the daemon's own classes: `NodeReporter` deciding when to write and
        `KubernetesNodeStatusWriter` writing it, a server-side apply of the node's entry of
        `status.nodes` (`NodeStatusApply`, field manager `osdeploy-daemon/<node>`). No image is
        downloaded. Both react to watch events.
      - **Ready**: a resource is Ready when a watch event shows `status.observedGeneration` and
        the Ready condition's `observedGeneration` equal to `metadata.generation` and the Ready
        condition True (what `OperatorTests.awaitCondition` waits for). *Apply to all Ready* runs
        from sending the first apply to the watch event that made the last resource Ready.
      - **Create-to-Ready latency**: per resource, from sending its apply to the first watch event
        showing it Ready for its generation. It includes waiting for what the resource depends on
        (a deployment waits for its distribution point's node to report, media for the node's
        endpoint), so it is the latency a user sees, not the time of one reconcile.
      - **Reconcile execution**: JOSDK's Micrometer timer `operator.sdk.controllers.execution.reconcile`
        per controller at the operator's `/metrics`: the count and mean over the whole run, p50
        and p99 from its histogram (buckets from 1 ms to 30 s, interpolated within a bucket as
        Prometheus' `histogram_quantile` does), and the largest `_max` seen in scrapes every 5 s
        (Micrometer's max covers its last two minutes).
      - **CPU, heap and RSS**: CPU time (user and system) from `/proc/<pid>/stat`; RSS and its
        high-water mark (VmHWM) from `/proc/<pid>/status`; heap in use from
        `jvm_memory_used_bytes{area="heap"}` at `/metrics`, sampled every 5 s, and once more
        after `jcmd <pid> GC.run` at the end of the idle period (what the operator keeps).
      - **Requests**: the operator's requests in the audit log, each counted once at its
        RequestReceived stage and found by the operator's user agent; reads are get, list and
        watch, writes every other verb; a conflict is a request answered 409. *Idle* runs from
        the moment all were Ready for the idle period. Leader election (on in a pod, as in
        `deploy/`) renews the operator's Lease every 2 s, JOSDK's default retry period, with a
        get and a patch: those are counted and shown apart.
      - **Policy lookups**: `PolicyLookupBench.measure` (the daemon's policy benchmark) on the
        deployments as the API server holds them after the run: those dp-000's daemon publishes
        (its deployments that are Ready for their generation, as `PolicyWatcher` selects them),
        and the whole fleet as if one distribution point served every deployment. Nine in ten
        requests are for a targeted machine, one in ten for an unknown one, from all three
        sources, on one thread.
      """;

  static double pct(List<Double> sorted, double p) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p / 100 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.0f MiB", bytes / 1048576.0);
  }

  private static void row(
      StringBuilder t, String measure, String result, String target, String met) {
    t.append("| ")
        .append(measure)
        .append(" | ")
        .append(result)
        .append(" | ")
        .append(target)
        .append(" | ")
        .append(met)
        .append(" |\n");
  }

  private static void say(String line) {
    System.err.println("[scale] " + line);
  }

  /**
   * Replaces the lines between {@code <!-- name:begin -->} and {@code <!-- name:end -->} in {@code
   * file} with {@code body}, keeping everything else; appends the section, markers included, when
   * the file (or either marker) is missing. (bench/report/MulticastReport.java does the same for
   * its section.)
   */
  static void writeSection(Path file, String name, String body) throws IOException {
    String begin = "<!-- " + name + ":begin -->";
    String end = "<!-- " + name + ":end -->";
    List<String> lines =
        Files.exists(file) ? new ArrayList<>(Files.readAllLines(file)) : new ArrayList<>();
    int from = -1;
    int to = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).trim().equals(begin) && from < 0) {
        from = i;
      } else if (lines.get(i).trim().equals(end) && from >= 0) {
        to = i;
        break;
      }
    }
    List<String> section = List.of(body.strip().split("\n", -1));
    if (from < 0 || to < 0) {
      if (!lines.isEmpty() && !lines.get(lines.size() - 1).isBlank()) {
        lines.add("");
      }
      lines.add(begin);
      lines.addAll(section);
      lines.add(end);
    } else {
      lines.subList(from + 1, to).clear();
      lines.addAll(from + 1, section);
    }
    Files.writeString(file, String.join("\n", lines) + "\n");
  }
}
