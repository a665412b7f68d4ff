package io.osdeploy.operator.local;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.osdeploy.operator.LeaderLease;
import io.osdeploy.operator.OperatorSettings;
import io.osdeploy.operator.OsdeployOperator;
import io.osdeploy.operator.media.BootFiles;
import io.osdeploy.operator.media.MediaServer;
import io.osdeploy.operator.metrics.OperatorMetrics;
import io.osdeploy.operator.metrics.ResourceGauges;
import io.osdeploy.operator.ops.OpsServer;
import java.io.Console;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code run}: the operator against the cluster in KUBECONFIG, or, when none is set, against a
 * local kube-apiserver and etcd with {@code samples/} applied; the status table shown live.
 */
public final class RunCommand {
  private static final Path HOME = Path.of(System.getProperty("user.home"), ".osdeploy", "local");
  private static final Path LOG = HOME.resolve("operator.log");

  private RunCommand() {}

  /** In a pod (and given no kubeconfig): the cluster the pod runs in, its service account. */
  public static boolean inCluster() {
    String kubeconfig = System.getenv("KUBECONFIG");
    String host = System.getenv("KUBERNETES_SERVICE_HOST");
    return (kubeconfig == null || kubeconfig.isBlank()) && host != null && !host.isBlank();
  }

  /**
   * The operator in its Deployment: CRDs are expected installed (from deploy/), the log goes to
   * stdout, replicas elect a leader through a Lease in their own namespace, it watches the
   * namespaces the settings name (all by default), boot media are kept and served as the
   * environment says, and metrics are at {@code /metrics} beside them. Runs until the pod is
   * stopped.
   */
  private static int runInCluster(OperatorSettings settings) throws Exception {
    org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RunCommand.class);
    KubernetesClient client = new KubernetesClientBuilder().build();
    String namespace = System.getenv().getOrDefault("POD_NAMESPACE", client.getNamespace());
    if (namespace == null) {
      namespace = "osdeploy-system";
    }
    MediaServer media =
        MediaServer.start(
            BootFiles.debian(),
            settings.mediaDirectory(),
            "0.0.0.0",
            settings.mediaPort(),
            settings.mediaUrl() != null
                ? settings.mediaUrl()
                : "http://" + InetAddress.getLocalHost().getHostAddress());
    OperatorMetrics metrics = OperatorMetrics.create();
    OpsServer ops =
        OpsServer.start(
            "0.0.0.0", settings.opsPort(), metrics::scrape, OperatorMetrics.CONTENT_TYPE);
    LeaderLease lease = new LeaderLease(namespace, OsdeployOperator.identity());
    Operator operator =
        OsdeployOperator.create(
            client,
            media.store(),
            new OsdeployOperator.Options(
                lease.configuration(), settings.watchNamespaces(), metrics));
    ops.setReadiness(() -> ready(operator));
    ResourceGauges gauges =
        ResourceGauges.watch(client, settings.watchNamespaces(), metrics.registry());
    java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // SIGTERM: finish the reconciles under way, then hand the Lease over at once.
                  log.info("stopping: finishing reconciles, then releasing the Lease");
                  lease.stopping();
                  ops.setReadiness(() -> false);
                  operator.stop();
                  gauges.close();
                  lease.release(client);
                  media.close();
                  ops.close();
                  client.close();
                  log.info("stopped");
                  stopped.countDown();
                },
                "shutdown"));
    operator.start();
    log.info(
        "operator running in namespace {} (leader election on Lease {}), watching {}; media at"
            + " {}, probes and metrics on port {}",
        namespace,
        OsdeployOperator.LEASE_NAME,
        settings.watchNamespaces().isEmpty()
            ? "every namespace"
            : "namespaces " + String.join(", ", settings.watchNamespaces()),
        media.baseUrl(),
        ops.address().getPort());
    stopped.await();
    return 0;
  }

  /** "k of n verified" (receivers) or "k of n succeeded" (machines) with k equal to n. */
  static boolean allVerified(String line) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(\\d+) of (\\d+) (verified|succeeded)").matcher(line);
    return m.find() && m.group(1).equals(m.group(2));
  }

  /** Started, and every informer connected (a standby replica is ready too: it can take over). */
  static boolean ready(Operator operator) {
    return operator.getRuntimeInfo().isStarted()
        && operator.getRuntimeInfo().allEventSourcesAreHealthy();
  }

  /** The terminal shows the status table; the operator's log goes to a file beside it. */
  public static void logToFile() throws java.io.IOException {
    Files.createDirectories(HOME);
    System.setProperty("org.slf4j.simpleLogger.logFile", LOG.toString());
  }

  static final String USAGE =
      String.join(
          "\n",
          "usage: osdeploy-operator run [options]",
          "  --samples DIR           apply this folder instead of samples/ (local run)",
          "  --until-ready SECONDS   exit 0 once every resource is Ready, 1 if not within SECONDS",
          "  --until-observed SECONDS  as --until-ready, but Ready or observed is enough",
          "  --vms N                 N QEMU machines boot the built media (./scripts/run.sh --vms N)",
          "  --daemon-jar JAR, --agent-jar JAR  the jars the local run starts",
          "With KUBECONFIG set, runs against that cluster; in a pod, as the Deployment in deploy/;",
          "else against a local kube-apiserver and etcd with the samples applied.",
          "Exit status: 0 done (or Ready in time), 1 not Ready in time, 2 bad usage.");

  /** Whether {@code args} ask for the usage rather than a run. */
  public static boolean helpAsked(String[] args) {
    return java.util.Arrays.asList(args).contains("--help")
        || java.util.Arrays.asList(args).contains("-h");
  }

  public static int main(String[] args) throws Exception {
    if (helpAsked(args)) {
      System.out.println(USAGE);
      return 0;
    }
    try {
      return start(args);
    } catch (BadUsage e) {
      System.err.println("run: " + e.getMessage() + "\n\n" + USAGE);
      return 2;
    }
  }

  /** A flag without its value, or a value that is not what the flag takes. */
  private static final class BadUsage extends Exception {
    BadUsage(String message) {
      super(message);
    }
  }

  private static String value(String[] args, int i) throws BadUsage {
    if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
      throw new BadUsage(args[i] + ": needs a value");
    }
    return args[i + 1];
  }

  private static long number(String[] args, int i) throws BadUsage {
    String v = value(args, i);
    try {
      long n = Long.parseLong(v);
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new BadUsage(
          args[i]
              + ": not a number of "
              + (args[i].equals("--vms") ? "machines" : "seconds")
              + ": "
              + v);
    }
  }

  private static int start(String[] args) throws Exception {
    Path samples = null;
    Path daemonJar = Path.of("multicast-daemon", "target", "osdeploy-daemon.jar");
    Path agentJar = Path.of("agent", "target", "osdeploy-agent.jar");
    Duration untilReady = null;
    boolean observedIsEnough = false;
    int vmCount = 0;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--vms" -> vmCount = (int) Math.min(number(args, i++), 64);
        case "--samples" -> samples = Path.of(value(args, i++));
        case "--daemon-jar" -> daemonJar = Path.of(value(args, i++));
        case "--agent-jar" -> agentJar = Path.of(value(args, i++));
        case "--until-ready" -> untilReady = Duration.ofSeconds(number(args, i++));
        case "--until-observed" -> {
          untilReady = Duration.ofSeconds(number(args, i++));
          observedIsEnough = true;
        }
        default -> throw new BadUsage("unknown option " + args[i]);
      }
    }
    OperatorSettings settings;
    try {
      settings = OperatorSettings.fromEnvironment();
    } catch (IllegalArgumentException e) {
      System.err.println("run: " + e.getMessage());
      return 2;
    }
    if (inCluster()) {
      return runInCluster(settings);
    }
    Files.createDirectories(HOME);
    System.out.println("Operator log: " + LOG);
    String kubeconfig = System.getenv("KUBECONFIG");
    boolean embedded = kubeconfig == null || kubeconfig.isBlank();

    LocalApiServer local = null;
    KubernetesClient client;
    if (embedded) {
      System.out.println("No KUBECONFIG set: starting a local kube-apiserver and etcd ...");
      local = LocalApiServer.start();
      Path config = HOME.resolve("kubeconfig");
      Files.writeString(config, local.kubeConfigYaml());
      System.out.println("Local cluster up. In another terminal:");
      System.out.println("  kubectl --kubeconfig " + config + " get osdeploy -A");
      client = local.client();
      if (samples == null) {
        samples = Path.of("samples");
      }
    } else {
      System.out.println("Using the cluster in KUBECONFIG=" + kubeconfig);
      client = new KubernetesClientBuilder().build();
    }
    LocalApiServer toStop = local;

    Crds.install(client);
    System.out.println("CRDs installed: " + String.join(", ", Crds.NAMES));
    LocalSite site = null;
    LocalVms vms = null;
    if (samples != null) {
      Kustomization k = Kustomization.read(samples);
      int n = k.apply(client).size();
      System.out.println("Applied " + n + " resources from " + k);
      if (embedded && Files.isRegularFile(daemonJar) && k.namespace() != null) {
        site = new LocalSite(client, HOME, daemonJar.toAbsolutePath(), HOME.resolve("kubeconfig"));
        site.serveImagesLocally(k.namespace());
        if (vmCount > 0) {
          String system = System.getenv("OSDEPLOY_TEST_SYSTEM");
          if (system == null || !Files.isRegularFile(Path.of(system))) {
            System.err.println(
                "run: --vms needs the test system and the boot environment that"
                    + " ./scripts/run.sh --vms builds (OSDEPLOY_TEST_SYSTEM, OSDEPLOY_BOOT_ENVIRONMENT)");
            return 2;
          }
          vms = LocalVms.prepare(client, k.namespace(), HOME, Path.of(system), vmCount);
          site.advertiseAs(LocalVms.DP, LocalVms.HOST_FROM_GUEST);
        }
      }
    }
    LocalVms localVms = vms;
    LocalSite localSite = site;
    MediaServer media = mediaServer(embedded);
    System.out.println(
        "Boot media kept in " + media.store().directory() + ", served at " + media.baseUrl());
    OperatorMetrics metrics = OperatorMetrics.create();
    OpsServer ops =
        OpsServer.start(
            embedded ? "127.0.0.1" : "0.0.0.0",
            System.getenv("OSDEPLOY_OPS_PORT") != null ? settings.opsPort() : 0,
            metrics::scrape,
            OperatorMetrics.CONTENT_TYPE);
    System.out.println(
        "Probes and metrics at http://127.0.0.1:" + ops.address().getPort() + "/metrics");
    Operator operator =
        OsdeployOperator.create(
            client,
            media.store(),
            OsdeployOperator.Options.DEFAULTS
                .withNamespaces(settings.watchNamespaces())
                .withMetrics(metrics));
    ops.setReadiness(() -> ready(operator));
    ResourceGauges gauges =
        ResourceGauges.watch(client, settings.watchNamespaces(), metrics.registry());
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (localVms != null) {
                    localVms.close();
                  }
                  if (localSite != null) {
                    localSite.close();
                  }
                  operator.stop();
                  gauges.close();
                  media.close();
                  ops.close();
                  client.close();
                  if (toStop != null) {
                    toStop.close();
                  }
                }));
    operator.start();
    if (localSite != null) {
      localSite.startNodes();
    }
    System.out.println(
        "Operator running. Ctrl-C stops it" + (embedded ? " and the cluster." : "."));
    LocalMachines machines =
        localSite != null && Files.isRegularFile(agentJar)
            ? new LocalMachines(client, HOME, agentJar.toAbsolutePath())
            : null;
    return watch(client, untilReady, observedIsEnough, localSite, machines, localVms);
  }

  /**
   * The boot media store and its HTTP server: where the settings say, or for a local run under
   * {@code ~/.osdeploy/local/media} on a free port.
   */
  private static MediaServer mediaServer(boolean embedded) throws IOException {
    OperatorSettings settings = OperatorSettings.current();
    boolean configured = System.getenv("OSDEPLOY_MEDIA_DIR") != null;
    Path dir = configured ? settings.mediaDirectory() : HOME.resolve("media");
    int port = System.getenv("OSDEPLOY_MEDIA_PORT") != null ? settings.mediaPort() : 0;
    return MediaServer.start(
        BootFiles.debian(),
        dir,
        embedded ? "127.0.0.1" : "0.0.0.0",
        port,
        settings.mediaUrl() != null
            ? settings.mediaUrl()
            : (embedded
                ? "http://127.0.0.1"
                : "http://" + InetAddress.getLocalHost().getHostName()));
  }

  /** Shows the table whenever it changes; with a deadline, returns once everything is Ready. */
  private static int watch(
      KubernetesClient client,
      Duration untilReady,
      boolean observedIsEnough,
      LocalSite site,
      LocalMachines machines,
      LocalVms vms)
      throws Exception {
    Instant deadline = untilReady == null ? null : Instant.now().plus(untilReady);
    Console console = System.console();
    String last = "";
    boolean multicastShown = false;
    boolean multicastFailed = false;
    while (true) {
      if (site != null) {
        site.reportPods();
      }
      List<StatusTable.Row> rows = StatusTable.read(client);
      String table = StatusTable.render(rows);
      if (!table.equals(last)) {
        if (console != null) {
          System.out.print("\033[H\033[2J");
        }
        String notes = site == null ? "" : String.join("\n", site.notes()) + "\n";
        System.out.println(Instant.now() + "\n" + notes + table);
        last = table;
      }
      boolean done =
          !rows.isEmpty()
              && rows.stream()
                  .allMatch(
                      observedIsEnough ? StatusTable.Row::isObserved : StatusTable.Row::isReady);
      if (done && !observedIsEnough && site != null && !multicastShown) {
        // Everything Ready: local machines run a deployment once (or, without the agent's jar,
        // local receivers fetch the images by multicast).
        multicastShown = true;
        List<String> lines =
            new ArrayList<>(
                machines != null
                    ? machines.deploy(site::multicastToLocalReceivers)
                    : site.multicastToLocalReceivers());
        if (vms != null) {
          String line = vms.boot();
          lines.add(line);
          if (!LocalVms.allBooted(line)) {
            multicastFailed = true;
          }
        }
        for (String line : lines) {
          System.out.println(line);
          site.notes().add(line);
          if (!allVerified(line)) {
            multicastFailed = true;
          }
        }
        last = "";
      }
      if (deadline != null) {
        if (done) {
          System.out.println(
              "All "
                  + rows.size()
                  + " resources are "
                  + (observedIsEnough ? "observed by the operator." : "Ready."));
          if (multicastFailed) {
            System.out.println(
                machines != null
                    ? "Not every local machine succeeded."
                    : "Not every local receiver got the image verified.");
            return 1;
          }
          return 0;
        }
        if (Instant.now().isAfter(deadline)) {
          System.out.println(
              "Not every resource became "
                  + (observedIsEnough ? "observed" : "Ready")
                  + " within "
                  + untilReady
                  + ".");
          return 1;
        }
      }
      Thread.sleep(1000);
    }
  }
}
