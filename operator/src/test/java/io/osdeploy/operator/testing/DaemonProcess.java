package io.osdeploy.operator.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A distribution-point daemon run as a process of its own, standing in for one node's pod. */
public final class DaemonProcess implements AutoCloseable {
  public static final Path JAR =
      Path.of("..", "multicast-daemon", "target", "osdeploy-daemon.jar")
          .toAbsolutePath()
          .normalize();

  private final Process process;
  private final Path log;

  private DaemonProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Starts the daemon for {@code node}, reading its ConfigMap through the API. */
  public static DaemonProcess start(
      String node, String namespace, String configMap, Path kubeconfig, Path contentPath)
      throws IOException {
    return start(
        List.of(), node, namespace, configMap, kubeconfig, contentPath, "127.0.0.1", 0, List.of());
  }

  /**
   * Starts the daemon for {@code node} without the API, configured from {@code configFile}, on
   * {@code address} with the file's ports.
   */
  public static DaemonProcess startFromFile(String node, Path configFile, String address)
      throws IOException {
    Prerequisites.require(
        Files.isRegularFile(JAR), "the daemon jar " + JAR + " (build multicast-daemon first)");
    Path log = Files.createTempFile("osdeploy-daemon-" + node, ".log");
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-jar",
            JAR.toString(),
            "--node=" + node,
            "--config=" + configFile,
            "--bind-address=" + address,
            "--advertise-address=" + address);
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new DaemonProcess(p, log);
  }

  /**
   * Starts the daemon for {@code node} inside {@code member}'s network namespace, on its address
   * and {@code port}: a node of a site's LAN.
   */
  public static DaemonProcess startIn(
      SiteNetwork.Member member,
      String node,
      String namespace,
      String configMap,
      Path kubeconfig,
      Path contentPath,
      int port)
      throws IOException {
    return startIn(member, node, namespace, configMap, kubeconfig, contentPath, port, List.of());
  }

  /** As {@link #startIn}, with more of the daemon's flags ({@code --boot-environment=...}). */
  public static DaemonProcess startIn(
      SiteNetwork.Member member,
      String node,
      String namespace,
      String configMap,
      Path kubeconfig,
      Path contentPath,
      int port,
      List<String> flags)
      throws IOException {
    return start(
        member.exec(List.of()),
        node,
        namespace,
        configMap,
        kubeconfig,
        contentPath,
        member.address(),
        port,
        flags);
  }

  private static DaemonProcess start(
      List<String> prefix,
      String node,
      String namespace,
      String configMap,
      Path kubeconfig,
      Path contentPath,
      String address,
      int port,
      List<String> flags)
      throws IOException {
    Prerequisites.require(
        Files.isRegularFile(JAR), "the daemon jar " + JAR + " (build multicast-daemon first)");
    Path log = Files.createTempFile("osdeploy-daemon-" + node, ".log");
    List<String> command = new ArrayList<>(prefix);
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(JAR.toString());
    command.add("--node=" + node);
    command.add("--namespace=" + namespace);
    command.add("--configmap=" + configMap);
    command.add("--kubeconfig=" + kubeconfig);
    command.add("--http-port=" + port);
    command.add("--bind-address=" + address);
    command.add("--advertise-address=" + address);
    command.add("--content-path=" + contentPath);
    command.addAll(flags);
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new DaemonProcess(p, log);
  }

  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Ends the process at once (SIGKILL): no shutdown hook, no last flush, as in a node crash. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
