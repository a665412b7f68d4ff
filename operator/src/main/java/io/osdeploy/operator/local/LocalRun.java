package io.osdeploy.operator.local;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.osdeploy.operator.OperatorSettings;
import io.osdeploy.operator.OsdeployOperator;
import io.osdeploy.operator.media.BootFiles;
import io.osdeploy.operator.media.MediaServer;
import io.osdeploy.operator.metrics.OperatorMetrics;
import io.osdeploy.operator.metrics.ResourceGauges;
import io.osdeploy.operator.ops.OpsServer;
import io.osdeploy.operator.page.LivePage;
import io.osdeploy.operator.watch.ResourceInformers;
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
 * {@code run} outside a pod: the operator against the cluster in KUBECONFIG, or, when none is set,
 * against a local kube-apiserver and etcd with {@code samples/} applied; the status table shown
 * live.
 */
public final class LocalRun {
  private static final Path HOME = Path.of(System.getProperty("user.home"), ".osdeploy", "local");
  private static final Path LOG = HOME.resolve("operator.log");

  private LocalRun() {}

  /** "k of n verified" (receivers) or "k of n succeeded" (machines) with k equal to n. */
  static boolean allVerified(String line) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(\\d+) of (\\d+) (verified|succeeded)").matcher(line);
    return m.find() && m.group(1).equals(m.group(2));
  }

  /** The terminal shows the status table; the operator's log goes to a file beside it. */
  public static void logToFile() throws java.io.IOException {
    Files.createDirectories(HOME);
    System.setProperty("org.slf4j.simpleLogger.logFile", LOG.toString());
  }

  /**
   * What to run locally.
   *
   * @param samples the folder to apply; null: {@code samples/} against the embedded cluster,
   *     nothing against the cluster in KUBECONFIG
   * @param daemonJar the daemon's jar, which the local distribution point nodes run
   * @param agentJar the agent's jar, which the local machines run
   * @param untilReady return once every resource is Ready (or observed), or fail after this long;
   *     null: run until stopped
   * @param observedIsEnough with {@code untilReady}, observed by the operator is enough
   * @param vms how many QEMU machines boot the built media
   */
  public record Request(
      Path samples,
      Path daemonJar,
      Path agentJar,
      Duration untilReady,
      boolean observedIsEnough,
      int vms) {}

  /**
   * Runs the operator against the cluster in KUBECONFIG, or against a local kube-apiserver and etcd
   * with the samples applied; with a deadline, until every resource is Ready.
   *
   * @return the exit status: 0 done, 1 not Ready in time (or a local machine or receiver failed), 2
   *     {@code --vms} without the test system
   */
  public static int run(OperatorSettings settings, Request request) throws Exception {
    Path samples = request.samples();
    Path daemonJar = request.daemonJar();
    Path agentJar = request.agentJar();
    Duration untilReady = request.untilReady();
    boolean observedIsEnough = request.observedIsEnough();
    int vmCount = request.vms();
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
    ops.setReadiness(() -> OsdeployOperator.ready(operator));
    ResourceInformers informers = ResourceInformers.start(client, settings.watchNamespaces());
    ResourceGauges gauges = ResourceGauges.watch(informers, metrics.registry());
    LivePage page =
        LivePage.start(
            informers,
            embedded ? "127.0.0.1" : "0.0.0.0",
            System.getenv("OSDEPLOY_PAGE_PORT") != null ? settings.pagePort() : 0,
            settings.pageHosts());
    String pageLine = "Live page at http://127.0.0.1:" + page.address().getPort() + "/";
    System.out.println(pageLine);
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
                  page.close();
                  gauges.close();
                  informers.close();
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
    return watch(client, untilReady, observedIsEnough, localSite, machines, localVms, pageLine);
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
      LocalVms vms,
      String pageLine)
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
        System.out.println(Instant.now() + "  " + pageLine + "\n" + notes + table);
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
