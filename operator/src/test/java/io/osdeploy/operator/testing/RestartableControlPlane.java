package io.osdeploy.operator.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.osdeploy.operator.local.Crds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * An etcd and a kube-apiserver of a test's own, which it can stop and start again: the same port,
 * certificates and storage, as when a control plane restarts. The shared {@link TestCluster} cannot
 * serve here, because its API server's end also ends its etcd. The API server gets the shared one's
 * command line (certificates, service accounts, admission) with its own etcd and port; the CRDs are
 * installed.
 */
public final class RestartableControlPlane implements AutoCloseable {
  private final Path work;
  private final Process etcd;
  private final List<String> apiServerCommand;
  private final String kubeConfigYaml;
  private Process apiServer;
  private int starts;

  private RestartableControlPlane(
      Path work, Process etcd, List<String> apiServerCommand, String kubeConfigYaml) {
    this.work = work;
    this.etcd = etcd;
    this.apiServerCommand = apiServerCommand;
    this.kubeConfigYaml = kubeConfigYaml;
  }

  public static RestartableControlPlane start() throws IOException {
    List<String> sharedCommand = sharedApiServerCommand();
    Path work = Files.createTempDirectory("osdeploy-control-plane-");
    Etcd etcd = startEtcd(binaries(sharedCommand), work);
    int port = freePort();
    List<String> command = withFlag(sharedCommand, "--etcd-servers", etcd.url());
    command = withFlag(command, "--secure-port", Integer.toString(port));
    command = withoutFlagsStartingWith(command, "--audit-");
    RestartableControlPlane plane =
        new RestartableControlPlane(
            work, etcd.process(), command, kubeConfig(TestCluster.kubeConfigYaml(), port));
    plane.startApiServer();
    try (KubernetesClient client = plane.client()) {
      Crds.install(client);
    }
    return plane;
  }

  /** An etcd of a test's own, and its client URL. */
  record Etcd(Process process, String url) {}

  /**
   * The shared {@link TestCluster} API server's command line (binaries, certificates, service
   * accounts, admission), for a control plane of a test's own to start from.
   */
  static List<String> sharedApiServerCommand() throws IOException {
    TestCluster.client();
    ProcessHandle shared =
        ProcessHandle.current()
            .descendants()
            .filter(p -> p.info().command().orElse("").endsWith("/kube-apiserver"))
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("no kube-apiserver runs under this JVM"));
    return List.of(
        new String(Files.readAllBytes(Path.of("/proc", Long.toString(shared.pid()), "cmdline")))
            .split("\0"));
  }

  /** Where the Kubernetes binaries are: beside the shared API server's. */
  static Path binaries(List<String> apiServerCommand) {
    return Path.of(apiServerCommand.get(0)).getParent();
  }

  /** Starts the etcd in {@code binaries} with its data and log under {@code work}. */
  static Etcd startEtcd(Path binaries, Path work) throws IOException {
    int etcdPort = freePort();
    String etcdUrl = "http://127.0.0.1:" + etcdPort;
    String peerUrl = "http://127.0.0.1:" + freePort();
    Process etcd =
        new ProcessBuilder(
                binaries.resolve("etcd").toString(),
                "--data-dir=" + work.resolve("etcd"),
                "--listen-client-urls=" + etcdUrl,
                "--advertise-client-urls=" + etcdUrl,
                "--listen-peer-urls=" + peerUrl,
                "--initial-advertise-peer-urls=" + peerUrl,
                "--initial-cluster=default=" + peerUrl)
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("etcd.log").toFile())
            .start();
    return new Etcd(etcd, etcdUrl);
  }

  /** The kubeconfig of this control plane, as YAML. */
  public String kubeConfigYaml() {
    return kubeConfigYaml;
  }

  /** A client of its own, for a user that closes it when done. */
  public KubernetesClient client() {
    return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
  }

  /**
   * Stops the API server (SIGTERM, SIGKILL if it has not ended 20 s later), keeps it down for
   * {@code down}, and starts it again; returns once it answers {@code /readyz}.
   */
  public void restartApiServer(Duration down) throws IOException, InterruptedException {
    apiServer.destroy();
    if (!apiServer.waitFor(20, TimeUnit.SECONDS)) {
      apiServer.destroyForcibly();
      apiServer.waitFor(20, TimeUnit.SECONDS);
    }
    Thread.sleep(down.toMillis());
    startApiServer();
  }

  private void startApiServer() throws IOException {
    Path log = work.resolve("kube-apiserver-" + ++starts + ".log");
    apiServer =
        new ProcessBuilder(apiServerCommand)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try (KubernetesClient client = client()) {
      Awaitility.await("the kube-apiserver (log: " + log + ")")
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(500))
          .ignoreExceptions()
          .until(() -> "ok".equals(client.raw("/readyz")));
    }
  }

  @Override
  public void close() throws InterruptedException, IOException {
    for (Process p : List.of(apiServer, etcd)) {
      p.destroy();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
    TestFiles.deleteRecursively(work);
  }

  /** {@code command} with {@code flag}'s value replaced, given as one or as two arguments. */
  static List<String> withFlag(List<String> command, String flag, String value) {
    List<String> out = new ArrayList<>();
    boolean found = false;
    for (int i = 0; i < command.size(); i++) {
      String arg = command.get(i);
      if (arg.equals(flag)) {
        i++;
      } else if (!arg.startsWith(flag + "=")) {
        out.add(arg);
        continue;
      }
      out.add(flag + "=" + value);
      found = true;
    }
    if (!found) {
      throw new IllegalStateException("the shared API server was started without " + flag);
    }
    return out;
  }

  /** The value of {@code flag} in {@code command}, given as one or as two arguments. */
  static String flagValue(List<String> command, String flag) {
    for (int i = 0; i < command.size(); i++) {
      if (command.get(i).startsWith(flag + "=")) {
        return command.get(i).substring(flag.length() + 1);
      }
      if (command.get(i).equals(flag) && i + 1 < command.size()) {
        return command.get(i + 1);
      }
    }
    throw new IllegalStateException("the shared API server was started without " + flag);
  }

  static List<String> withoutFlagsStartingWith(List<String> command, String prefix) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < command.size(); i++) {
      String arg = command.get(i);
      if (!arg.startsWith(prefix)) {
        out.add(arg);
      } else if (!arg.contains("=") && i + 1 < command.size()) {
        i++;
      }
    }
    return out;
  }

  private static String kubeConfig(String shared, int port) {
    try {
      ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
      ObjectNode config = (ObjectNode) yaml.readTree(shared);
      ObjectNode cluster = (ObjectNode) config.get("clusters").get(0).get("cluster");
      URI server = URI.create(cluster.get("server").asText());
      cluster.put("server", server.getScheme() + "://" + server.getHost() + ":" + port);
      return yaml.writeValueAsString(config);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
