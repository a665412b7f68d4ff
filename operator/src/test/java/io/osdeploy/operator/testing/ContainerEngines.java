package io.osdeploy.operator.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Private container engines for tests, each with its own state under a test directory and its own
 * socket, so that nothing of the machine's is used or changed: Debian's {@code dockerd}, started
 * without a bridge and without iptables rules (Docker's rules would break the multicast tests'
 * bridges), and Debian's {@code containerd}. Containers run with the host's network, as the
 * DaemonSet's pods do. Closing stops the engine and everything it ran.
 */
public final class ContainerEngines {
  public static final Path DOCKERD = Path.of("/usr/sbin/dockerd");
  public static final Path DOCKER = Path.of("/usr/bin/docker");
  public static final Path CONTAINERD = Path.of("/usr/bin/containerd");
  public static final Path CTR = Path.of("/usr/bin/ctr");

  private ContainerEngines() {}

  /** Skips (or fails under CI=true) where the engines cannot run. */
  public static void requirePrerequisites() {
    Prerequisites.require(
        "root".equals(System.getProperty("user.name")), "root (a container engine of its own)");
    for (Path tool : List.of(DOCKERD, DOCKER, CONTAINERD, CTR)) {
      Prerequisites.require(
          Files.isExecutable(tool), tool + " (Debian's docker.io; scripts/prereqs.sh installs it)");
    }
  }

  /** A command's exit status and output. */
  public record Result(int status, String output) {
    public Result orThrow(List<String> command) throws IOException {
      if (status != 0) {
        throw new IOException(String.join(" ", command) + " failed (" + status + "): " + output);
      }
      return this;
    }
  }

  /**
   * Runs {@code command}; its status and output, or an exception when it outlasts {@code timeout}.
   */
  public static Result run(List<String> command, Duration timeout)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] output = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", command) + " did not finish in " + timeout);
    }
    return new Result(p.exitValue(), new String(output, StandardCharsets.UTF_8).strip());
  }

  private static Process start(List<String> command, Path log) throws IOException {
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  private static void stop(Process p) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** A Docker engine of the test's own. */
  public static final class Docker implements AutoCloseable {
    private final Process dockerd;
    private final String host;
    private final Path dir;

    private Docker(Process dockerd, String host, Path dir) {
      this.dockerd = dockerd;
      this.host = host;
      this.dir = dir;
    }

    public static Docker start(Path dir) throws Exception {
      Files.createDirectories(dir);
      Path socket = dir.resolve("docker.sock");
      String host = "unix://" + socket;
      Process dockerd =
          ContainerEngines.start(
              List.of(
                  DOCKERD.toString(),
                  "--host=" + host,
                  "--data-root=" + dir.resolve("data"),
                  "--exec-root=" + dir.resolve("exec"),
                  "--pidfile=" + dir.resolve("dockerd.pid"),
                  "--bridge=none",
                  "--iptables=false",
                  "--ip6tables=false",
                  "--ip-masq=false",
                  "--storage-driver=overlay2"),
              dir.resolve("dockerd.log"));
      Docker docker = new Docker(dockerd, host, dir);
      try {
        await("dockerd answering; see " + dir.resolve("dockerd.log"))
            .atMost(Duration.ofMinutes(2))
            .pollInterval(Duration.ofMillis(500))
            .until(
                () -> {
                  if (!dockerd.isAlive()) {
                    throw new AssertionError(
                        "dockerd stopped: " + Files.readString(dir.resolve("dockerd.log")));
                  }
                  return docker.docker("version").status() == 0;
                });
      } catch (RuntimeException | Error e) {
        docker.close();
        throw e;
      }
      return docker;
    }

    /** {@code docker args...} against this engine. */
    public Result docker(String... args) throws IOException, InterruptedException {
      List<String> command = new ArrayList<>(List.of(DOCKER.toString(), "--host=" + host));
      command.addAll(List.of(args));
      return run(command, Duration.ofMinutes(5));
    }

    /** Like {@link #docker}, failing with the output unless it succeeded. */
    public String ok(String... args) throws IOException, InterruptedException {
      List<String> command = new ArrayList<>(List.of("docker"));
      command.addAll(List.of(args));
      return docker(args).orThrow(command).output();
    }

    public Path dir() {
      return dir;
    }

    @Override
    public void close() throws Exception {
      Result running = docker("ps", "-aq");
      if (running.status() == 0 && !running.output().isBlank()) {
        List<String> rm = new ArrayList<>(List.of("rm", "-f"));
        rm.addAll(List.of(running.output().split("\\s+")));
        docker(rm.toArray(String[]::new));
      }
      stop(dockerd);
      // dockerd leaves the host's network namespace bound under its exec root.
      Path netns = dir.resolve("exec").resolve("netns").resolve("default");
      if (Files.exists(netns)) {
        run(List.of("umount", "--lazy", netns.toString()), Duration.ofSeconds(30));
      }
    }
  }

  /** A containerd of the test's own. */
  public static final class Containerd implements AutoCloseable {
    private final Process containerd;
    private final Path socket;

    private Containerd(Process containerd, Path socket) {
      this.containerd = containerd;
      this.socket = socket;
    }

    public static Containerd start(Path dir) throws Exception {
      Files.createDirectories(dir);
      Path socket = dir.resolve("containerd.sock");
      Path config = dir.resolve("config.toml");
      // Only the image store is needed here; the CRI plugin would want a kubelet's settings.
      Files.writeString(
          config, "version = 2\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n");
      Process containerd =
          ContainerEngines.start(
              List.of(
                  CONTAINERD.toString(),
                  "--config=" + config,
                  "--root=" + dir.resolve("root"),
                  "--state=" + dir.resolve("state"),
                  "--address=" + socket),
              dir.resolve("containerd.log"));
      Containerd engine = new Containerd(containerd, socket);
      try {
        await("containerd answering; see " + dir.resolve("containerd.log"))
            .atMost(Duration.ofMinutes(1))
            .pollInterval(Duration.ofMillis(500))
            .until(() -> containerd.isAlive() && engine.ctr("version").status() == 0);
      } catch (RuntimeException | Error e) {
        engine.close();
        throw e;
      }
      return engine;
    }

    /** {@code ctr args...} against this containerd, in namespace {@code k8s.io} (the kubelet's). */
    public Result ctr(String... args) throws IOException, InterruptedException {
      List<String> command =
          new ArrayList<>(List.of(CTR.toString(), "--address=" + socket, "--namespace=k8s.io"));
      command.addAll(List.of(args));
      return run(command, Duration.ofMinutes(5));
    }

    @Override
    public void close() throws Exception {
      stop(containerd);
    }
  }
}
