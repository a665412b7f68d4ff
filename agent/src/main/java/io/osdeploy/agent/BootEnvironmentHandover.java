package io.osdeploy.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A restart into the boot environment from an installed system. The distribution point's kernel and
 * initramfs are downloaded and checked against the SHA-256 it serves them with; the machine's
 * task-sequence state is added to the initramfs as one more cpio archive (the kernel unpacks
 * archives one after the other), at {@link #STATE_IN_INITRAMFS}; and kexec starts the kernel with
 * the arguments a distribution point's boot script gives it. The boot environment's {@code /init}
 * finds the state, and its agent resumes at the step after the restart. Nothing is written to the
 * disk, and firmware settings are left alone.
 */
final class BootEnvironmentHandover {
  /** Where the boot environment finds the state, without the leading slash. */
  static final String STATE_IN_INITRAMFS = "etc/osdeploy/handover/state.json";

  private static final Logger log = LoggerFactory.getLogger(BootEnvironmentHandover.class);

  private BootEnvironmentHandover() {}

  /**
   * Starts the boot environment; returns only when kexec could not (the message says why). The
   * state in {@code stateDir} must already name the step to resume at.
   */
  static String restart(
      AgentOptions options, Identity identity, DistributionPointClient dp, String deployment)
      throws IOException, InterruptedException {
    Path dir = options.stateDir().resolve("handover");
    Files.createDirectories(dir);
    Path kernel = dir.resolve("vmlinuz");
    Path initrd = dir.resolve("initrd.img");
    dp.downloadVerified("/boot/vmlinuz", kernel);
    dp.downloadVerified("/boot/initrd.img", initrd);
    byte[] state = Files.readAllBytes(options.stateDir().resolve(AgentState.FILE));
    try (OutputStream out = Files.newOutputStream(initrd, StandardOpenOption.APPEND)) {
      long size = Files.size(initrd);
      out.write(new byte[(int) ((4 - size % 4) % 4)]);
      out.write(stateArchive(state));
    }
    String token = dp.tokenOrNull();
    String commandLine = commandLine(options, identity, deployment, currentCommandLine(), token);
    log.info(
        "starting the boot environment with kexec: {}",
        token == null ? commandLine : commandLine.replace(token, "(token)"));
    List<String> load = new ArrayList<>(List.of("kexec", "--load", kernel.toString()));
    load.add("--initrd=" + initrd);
    load.add("--command-line=" + commandLine);
    // kexec_file_load first (-s): it is what a kernel in lockdown allows; else kexec_load.
    List<String> fileLoad = new ArrayList<>(load);
    fileLoad.add(1, "-s");
    String loaded = run(fileLoad);
    if (loaded != null && run(load) != null) {
      return "kexec could not load the boot environment: " + loaded;
    }
    run(List.of("sync"));
    String started = run(List.of("kexec", "--exec"));
    return "kexec could not start the boot environment: " + started;
  }

  /** The kernel arguments a distribution point's boot script would give this machine. */
  static String commandLine(
      AgentOptions options, Identity identity, String deployment, String current, String token) {
    List<String> args = new ArrayList<>();
    for (String arg : current.trim().split("\\s+")) {
      if (arg.startsWith("console=")) {
        args.add(arg);
      }
    }
    args.add("quiet");
    args.add("osdeploy.server=" + options.server());
    args.add("osdeploy.source=" + options.source());
    args.add("osdeploy.deployment=" + deployment);
    if (options.caFingerprint() != null) {
      args.add("osdeploy.ca=" + options.caFingerprint());
    }
    if (identity.mac() != null) {
      args.add("osdeploy.mac=" + identity.mac());
    }
    if (identity.uuid() != null) {
      args.add("osdeploy.uuid=" + identity.uuid());
    }
    if (options.disk() != null) {
      args.add("osdeploy.disk=" + options.disk());
    }
    if (token != null) {
      args.add("osdeploy.token=" + token);
    }
    return String.join(" ", args);
  }

  /** A cpio archive (newc) with {@code state} at {@link #STATE_IN_INITRAMFS}. */
  static byte[] stateArchive(byte[] state) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String[] parts = STATE_IN_INITRAMFS.split("/");
    String path = "";
    int inode = 1;
    for (int i = 0; i < parts.length - 1; i++) {
      path = path.isEmpty() ? parts[i] : path + "/" + parts[i];
      entry(out, inode++, path, 0040755, 2, new byte[0]);
    }
    entry(out, inode, STATE_IN_INITRAMFS, 0100600, 1, state);
    entry(out, 0, "TRAILER!!!", 0, 1, new byte[0]);
    return out.toByteArray();
  }

  private static void entry(
      ByteArrayOutputStream out, int inode, String name, int mode, int links, byte[] data) {
    byte[] nameBytes = (name + "\0").getBytes(StandardCharsets.US_ASCII);
    StringBuilder header = new StringBuilder("070701");
    for (long field :
        new long[] {inode, mode, 0, 0, links, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0}) {
      header.append(String.format("%08x", field));
    }
    out.writeBytes(header.toString().getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(nameBytes);
    pad(out);
    out.writeBytes(data);
    pad(out);
  }

  private static void pad(ByteArrayOutputStream out) {
    while (out.size() % 4 != 0) {
      out.write(0);
    }
  }

  private static String currentCommandLine() {
    try {
      return Files.readString(Path.of("/proc/cmdline"));
    } catch (IOException e) {
      return "";
    }
  }

  /** Runs {@code command}; null when it succeeded, else its status and output. */
  private static String run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] output = p.getInputStream().readAllBytes();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      return String.join(" ", command) + ": timed out";
    }
    if (p.exitValue() == 0) {
      return null;
    }
    return String.join(" ", command.subList(0, Math.min(2, command.size())))
        + ": exit "
        + p.exitValue()
        + ": "
        + new String(output, StandardCharsets.UTF_8).strip();
  }
}
