package io.osdeploy.daemon;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.osdeploy.cli.CommandLines;
import io.osdeploy.daemon.boot.BootEnvironmentFiles;
import io.osdeploy.daemon.config.ConfigFileSource;
import io.osdeploy.daemon.config.ConfigMapSource;
import io.osdeploy.daemon.policy.PolicyWatcher;
import io.osdeploy.daemon.progress.KubernetesProgressWriter;
import io.osdeploy.daemon.report.KubernetesNodeStatusWriter;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Entry point of the daemon's jar; see {@link DaemonCommand} for its command line. */
public final class Main {
  private static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(2);
  private static final Duration REPORT_INTERVAL = Duration.ofSeconds(5);
  private static final Duration CONFIG_FILE_POLL = Duration.ofSeconds(2);

  private Main() {}

  /**
   * The boot environment to serve: the one the options name, else the image's. One that does not
   * check out is logged and not served; the daemon serves everything else.
   */
  private static Optional<BootEnvironmentFiles> bootEnvironment(DaemonOptions options) {
    Logger log = LoggerFactory.getLogger(Main.class);
    Path dir = options.bootEnvironment();
    if (dir == null) {
      if (!Files.isDirectory(BootEnvironmentFiles.IMAGE_DIRECTORY)) {
        log.info(
            "no boot environment shipped with this daemon; boot scripts need spec.bootEnvironment");
        return Optional.empty();
      }
      dir = BootEnvironmentFiles.IMAGE_DIRECTORY;
    }
    try {
      BootEnvironmentFiles files = BootEnvironmentFiles.load(dir);
      log.info(
          "boot environment {}: vmlinuz {} ({} bytes), initrd.img {} ({} bytes)",
          dir,
          files.kernel().sha256(),
          files.kernel().size(),
          files.initrd().sha256(),
          files.initrd().size());
      return Optional.of(files);
    } catch (IOException e) {
      log.error("boot environment {} not served: {}", dir, e.getMessage());
      return Optional.empty();
    }
  }

  public static void main(String[] args) {
    System.exit(DaemonCommand.commandLine("osdeploy-daemon " + version()).execute(args));
  }

  /**
   * Runs the daemon until the JVM is stopped.
   *
   * @return the exit status: 0 once stopped, 1 when it could not start, 2 when the ConfigMap has no
   *     namespace to be found in
   */
  static int serve(DaemonOptions options) throws Exception {
    Logger log = LoggerFactory.getLogger(Main.class);
    KubernetesClient client = needsApi(options) ? client(options) : null;
    String node =
        options.node() != null ? options.node() : InetAddress.getLocalHost().getHostName();
    String advertise =
        options.advertiseAddress() != null ? options.advertiseAddress() : firstAddress();
    DaemonSettings settings =
        new DaemonSettings(
            node,
            version(),
            advertise,
            options.bindAddress(),
            options.httpPort(),
            options.contentPath(),
            PROGRESS_INTERVAL,
            REPORT_INTERVAL);
    Daemon daemon =
        new Daemon(
            settings,
            client == null ? null : new KubernetesNodeStatusWriter(client),
            client == null ? null : new KubernetesProgressWriter(client));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("node {}: stopping", node);
                  daemon.close();
                  if (client != null) {
                    client.close();
                  }
                  stopped.countDown();
                },
                "shutdown"));
    bootEnvironment(options).ifPresent(daemon::serveBootEnvironment);
    if (options.tlsDirectory() != null) {
      daemon.readTlsFrom(options.tlsDirectory());
    }
    if (options.tokenKeys() != null) {
      daemon.readTokenKeysFrom(options.tokenKeys());
    }
    if (options.deploymentSecrets() != null) {
      daemon.readDeploymentSecretsFrom(options.deploymentSecrets());
    }
    try {
      daemon.start();
    } catch (IOException e) {
      log.error("node {}: {}", node, e.getMessage(), e);
      String cause = e.getCause() == null ? "" : ": " + e.getCause().getMessage();
      terminationMessage("cannot start: " + e.getMessage() + cause);
      return CommandLines.FAILED;
    }
    if (options.configMap() != null) {
      String namespace = options.namespace() != null ? options.namespace() : client.getNamespace();
      if (namespace == null) {
        log.error(
            "node {}: no namespace for ConfigMap {}; give --namespace", node, options.configMap());
        return CommandLines.USAGE;
      }
      log.info(
          "node {}: daemon {} watching ConfigMap {}/{}",
          node,
          settings.version(),
          namespace,
          options.configMap());
      daemon.addConfigSource(
          new ConfigMapSource(client, namespace, options.configMap(), daemon.configTracker()));
      String policyNamespace = namespace;
      daemon.watchPolicy(
          (book, passwords) ->
              new PolicyWatcher(
                  client, policyNamespace, daemon::distributionPoint, book, passwords));
    } else {
      log.info("node {}: daemon {} reading {}", node, settings.version(), options.configFile());
      daemon.addConfigSource(
          new ConfigFileSource(options.configFile(), daemon.configTracker(), CONFIG_FILE_POLL));
    }
    if (client == null) {
      log.info("node {}: no Kubernetes API configured; the node's status is not reported", node);
    }
    stopped.await();
    return CommandLines.OK;
  }

  /**
   * In a pod, why the daemon stopped, where the kubelet reads it (the container's
   * terminationMessagePath): the operator shows it on the DistributionPoint.
   */
  private static void terminationMessage(String message) {
    Path file = Path.of("/dev/termination-log");
    if (Files.isWritable(file)) {
      try {
        Files.writeString(file, message);
      } catch (IOException e) {
        // Only the pod's status is poorer for it; the log has the error.
      }
    }
  }

  /** The API is used for a ConfigMap, when credentials are given, or inside a pod. */
  private static boolean needsApi(DaemonOptions options) {
    return options.configMap() != null
        || options.kubeconfig() != null
        || System.getenv("KUBERNETES_SERVICE_HOST") != null;
  }

  private static KubernetesClient client(DaemonOptions options) {
    KubernetesClientBuilder builder = new KubernetesClientBuilder();
    if (options.kubeconfig() != null) {
      builder.withConfig(Config.fromKubeconfig(options.kubeconfig().toFile()));
    }
    return builder.build();
  }

  /** The version each node reports, from the jar's manifest; "dev" when run from classes. */
  private static String version() {
    String version = Main.class.getPackage().getImplementationVersion();
    return version != null ? version : "dev";
  }

  /** The first IPv4 address (else any) of an interface that is up and not loopback. */
  static String firstAddress() throws SocketException {
    Optional<InetAddress> found =
        Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
            .filter(Main::usable)
            .sorted(Comparator.comparingInt(NetworkInterface::getIndex))
            .flatMap(nic -> nic.getInterfaceAddresses().stream())
            .map(InterfaceAddress::getAddress)
            .filter(address -> !address.isLinkLocalAddress() && !address.isLoopbackAddress())
            .min(Comparator.comparing(address -> address instanceof Inet4Address ? 0 : 1));
    return found.map(InetAddress::getHostAddress).orElse("127.0.0.1");
  }

  private static boolean usable(NetworkInterface nic) {
    try {
      return nic.isUp() && !nic.isLoopback();
    } catch (SocketException e) {
      // An interface that cannot be queried is no address to give to machines.
      return false;
    }
  }
}
