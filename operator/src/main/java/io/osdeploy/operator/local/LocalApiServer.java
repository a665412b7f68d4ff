package io.osdeploy.operator.local;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A local kube-apiserver and etcd: the embedded default of the run command, and what the
 * integration tests run against. The binaries come from {@code scripts/k8s-test-binaries.sh}; when
 * they are present nothing is downloaded.
 */
public final class LocalApiServer implements AutoCloseable {
  /** The Kubernetes version the project builds and tests against. */
  public static final String DEFAULT_VERSION = "1.33.13";

  private final KubeAPIServer server;
  private final Process controllerManager;

  private LocalApiServer(KubeAPIServer server, Process controllerManager) {
    this.server = server;
    this.controllerManager = controllerManager;
  }

  public static LocalApiServer start() {
    return start(null);
  }

  /**
   * Starts the API server; with {@code auditLog} set, every request is written there as one JSON
   * line (audit level Metadata), so that tests can count what a client did.
   */
  public static LocalApiServer start(Path auditLog) {
    String version = System.getenv().getOrDefault("OSDEPLOY_K8S_VERSION", DEFAULT_VERSION);
    Path dir = Path.of(System.getProperty("user.home"), ".kubeapitest");
    File binaries = new File(dir.toFile(), "k8s/" + version + "-linux-amd64");
    boolean cached = new File(binaries, "kube-apiserver").canExecute();
    // Settings go through the builder: kube-api-test's environment parsing of booleans fails.
    KubeAPIServerConfigBuilder builder =
        KubeAPIServerConfigBuilder.anAPIServerConfig()
            .withApiServerVersion(version)
            .withOfflineMode(cached)
            .withUpdateKubeConfig(false)
            .withWaitForEtcdHealthCheckOnStartup(true);
    if (auditLog != null) {
      try {
        Path policy = Files.createTempFile("osdeploy-audit-policy", ".yaml");
        Files.writeString(
            policy, "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n");
        builder
            .withApiServerFlag("--audit-policy-file", policy.toString())
            .withApiServerFlag("--audit-log-path", auditLog.toString())
            .withApiServerFlag("--audit-log-format", "json");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    KubeAPIServer server = new KubeAPIServer(builder.build());
    server.start();
    Process controllerManager = null;
    File kcm = new File(binaries, "kube-controller-manager");
    if (kcm.canExecute()) {
      controllerManager = startControllerManager(kcm, server.getKubeConfigYaml());
    }
    return new LocalApiServer(server, controllerManager);
  }

  /**
   * Garbage collection of owned objects and namespace deletion, as a real cluster does them; the
   * rest of the controller manager is not needed here.
   */
  private static Process startControllerManager(File binary, String kubeConfigYaml) {
    try {
      Path work = Files.createTempDirectory("osdeploy-kcm");
      Path kubeconfig = work.resolve("kubeconfig");
      Files.writeString(kubeconfig, kubeConfigYaml);
      Process p =
          new ProcessBuilder(
                  binary.getPath(),
                  "--kubeconfig=" + kubeconfig,
                  "--controllers=garbagecollector,namespace",
                  "--leader-elect=false",
                  "--secure-port=0")
              .redirectErrorStream(true)
              .redirectOutput(work.resolve("kube-controller-manager.log").toFile())
              .start();
      Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start kube-controller-manager", e);
    }
  }

  public String kubeConfigYaml() {
    return server.getKubeConfigYaml();
  }

  public KubernetesClient client() {
    return new KubernetesClientBuilder()
        .withConfig(Config.fromKubeconfig(server.getKubeConfigYaml()))
        .build();
  }

  /** A client whose requests the audit log attributes to {@code userAgent}. */
  public KubernetesClient client(String userAgent) {
    Config config = Config.fromKubeconfig(server.getKubeConfigYaml());
    config.setUserAgent(userAgent);
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  @Override
  public void close() {
    if (controllerManager != null) {
      controllerManager.destroy();
    }
    server.stop();
  }
}
