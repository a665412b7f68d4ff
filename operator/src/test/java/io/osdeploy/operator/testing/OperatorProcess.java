package io.osdeploy.operator.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The operator's jar run as it runs in its pod ({@code run} in a pod: the environment says
 * KUBERNETES_SERVICE_HOST, no KUBECONFIG), against the test cluster: the client finds the cluster
 * through the {@code kubeconfig} system property, where in a pod it would use its service account.
 */
public final class OperatorProcess implements AutoCloseable {
  public static final Path JAR =
      Path.of("target", "osdeploy-operator.jar").toAbsolutePath().normalize();

  private final Process process;
  private final Path log;
  private final int port;
  private final int opsPort;
  private final int pagePort;

  private OperatorProcess(Process process, Path log, int port, int opsPort, int pagePort) {
    this.pagePort = pagePort;
    this.process = process;
    this.log = log;
    this.port = port;
    this.opsPort = opsPort;
  }

  /**
   * Starts the jar as pod {@code podName} of namespace {@code namespace}, with {@code env} added to
   * what the Deployment in deploy/ sets.
   */
  public static OperatorProcess startInCluster(
      String namespace, String podName, Map<String, String> env) throws IOException {
    return startInCluster(
        TestCluster.kubeConfigYaml(),
        Files.createTempDirectory("osdeploy-operator-pod-"),
        namespace,
        podName,
        env);
  }

  /**
   * Starts the jar against the cluster of {@code kubeConfigYaml}, with {@code home} as its home and
   * its media volume under it: a pod started again after a crash gets the same volume.
   */
  public static OperatorProcess startInCluster(
      String kubeConfigYaml, Path home, String namespace, String podName, Map<String, String> env)
      throws IOException {
    Prerequisites.require(
        Files.isRegularFile(JAR), "the operator jar " + JAR + " (mvn package builds it)");
    Path kubeconfig = home.resolve("kubeconfig");
    Files.writeString(kubeconfig, kubeConfigYaml);
    Path media = Files.createDirectories(home.resolve("media"));
    Path log = Files.createTempFile(home, "operator-" + podName + "-", ".log");
    int port = freePort();
    int opsPort = freePort();
    int pagePort = freePort();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Dkubeconfig=" + kubeconfig);
    command.add("-Duser.home=" + home);
    command.add("-jar");
    command.add(JAR.toString());
    command.add("run");
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> environment = builder.environment();
    environment.remove("KUBECONFIG");
    environment.remove("KUBERNETES_SERVICE_PORT");
    environment.keySet().removeIf(k -> k.startsWith("OSDEPLOY_"));
    environment.put("KUBERNETES_SERVICE_HOST", "127.0.0.1");
    environment.put("POD_NAMESPACE", namespace);
    environment.put("POD_NAME", podName);
    environment.put("OSDEPLOY_MEDIA_DIR", media.toString());
    environment.put("OSDEPLOY_MEDIA_PORT", Integer.toString(port));
    environment.put("OSDEPLOY_OPS_PORT", Integer.toString(opsPort));
    environment.put("OSDEPLOY_PAGE_PORT", Integer.toString(pagePort));
    environment.put("OSDEPLOY_MEDIA_URL", "http://127.0.0.1:" + port);
    environment.putAll(env);
    return new OperatorProcess(
        builder.start(),
        log,
        port,
        opsPort,
        Integer.parseInt(environment.get("OSDEPLOY_PAGE_PORT")));
  }

  /**
   * The status code of {@code GET path} on the operator's port for it (the probes and {@code
   * /metrics} on the ops port, media on the media port); -1 if it does not answer.
   */
  public int get(String path) {
    boolean ops = path.equals("/healthz") || path.equals("/readyz") || path.equals("/metrics");
    try {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + (ops ? opsPort : port) + path))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** Ends the process at once (SIGKILL), as when its node fails, and waits for its end. */
  public void kill() throws InterruptedException {
    killNow();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Sends SIGKILL and returns at once. */
  public void killNow() {
    process.destroyForcibly();
  }

  /** The operator's media port. */
  public int port() {
    return port;
  }

  /** The operator's live page port (0 when the environment turned the page off). */
  public int pagePort() {
    return pagePort;
  }

  /** The operator's ops port: probes and {@code /metrics}. */
  public int opsPort() {
    return opsPort;
  }

  /** The process id, to read its memory from {@code /proc}. */
  public long pid() {
    return process.pid();
  }

  /** Sends SIGTERM, as the kubelet does to stop a pod. */
  public void terminate() {
    process.destroy();
  }

  /** Waits up to {@code seconds} for the process to end; its exit status, or null if it runs. */
  public Integer awaitExit(long seconds) throws InterruptedException {
    return process.waitFor(seconds, TimeUnit.SECONDS) ? process.exitValue() : null;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
