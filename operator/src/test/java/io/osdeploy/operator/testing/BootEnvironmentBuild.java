package io.osdeploy.operator.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the project's boot-environment scripts as a user's build would: {@code build.sh} (cached by
 * its inputs) with the agent jar of this build, and {@code test-system.sh} for the small operating
 * system the virtual-machine tests deploy.
 */
public final class BootEnvironmentBuild {
  public static final Path SCRIPTS = Path.of("..", "boot-environment").toAbsolutePath().normalize();
  public static final Path AGENT_JAR =
      Path.of("..", "agent", "target", "osdeploy-agent.jar").toAbsolutePath().normalize();

  private BootEnvironmentBuild() {}

  /** The boot environment's directory (vmlinuz, initrd.img, SHA256SUMS), built if not cached. */
  public static Path bootEnvironment() throws IOException, InterruptedException {
    Prerequisites.require(
        Files.isRegularFile(AGENT_JAR), "the agent jar " + AGENT_JAR + " (build agent first)");
    return Path.of(run(List.of("--agent", AGENT_JAR.toString()), "build.sh"));
  }

  /** Builds the boot environment afresh into {@code out}, bypassing the cache. */
  public static Path bootEnvironmentInto(Path out) throws IOException, InterruptedException {
    return Path.of(
        run(List.of("--agent", AGENT_JAR.toString(), "--out", out.toString()), "build.sh"));
  }

  /** Writes the test system's whole-disk image to {@code image}. */
  public static Path testSystem(Path image) throws IOException, InterruptedException {
    run(List.of(image.toString()), "test-system.sh");
    return image;
  }

  /**
   * Writes to {@code initrd} the small installed system that runs the agent as a service, made from
   * the boot environment in {@code bootEnvironment}; it boots with that boot environment's kernel.
   */
  public static Path installedSystem(Path bootEnvironment, Path initrd)
      throws IOException, InterruptedException {
    run(List.of(bootEnvironment.toString(), initrd.toString()), "installed-system.sh");
    return initrd;
  }

  private static String run(List<String> args, String script)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", SCRIPTS.resolve(script).toString()));
    command.addAll(args);
    Path log = Files.createTempFile("osdeploy-" + script, ".log");
    Process p =
        new ProcessBuilder(command)
            .redirectError(log.toFile())
            .redirectOutput(ProcessBuilder.Redirect.PIPE)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(15, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IOException(script + " did not finish in 15 minutes; see " + log);
    }
    if (p.exitValue() != 0) {
      throw new IOException(
          script + " failed (exit " + p.exitValue() + "): " + Files.readString(log));
    }
    List<String> lines = out.lines().toList();
    return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
  }
}
