package io.osdeploy.operator.testing;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A QEMU x86-64 machine with one e1000 NIC on user-mode networking (the host is 10.0.2.2), its
 * console on a file and its monitor on a Unix socket for typing. Closing it always kills it.
 */
public final class QemuMachine implements AutoCloseable {
  public static final String BINARY = "qemu-system-x86_64";
  public static final String MAC = "52:54:00:12:34:56";

  /**
   * What the firmware's serial console adds around the text (SeaBIOS mirrors the VGA screen with
   * escape sequences, carriage returns, cursor moves): removed before the console is searched, so a
   * line redrawn under load still reads as the line.
   */
  private static final Pattern TERMINAL_CONTROL =
      Pattern.compile("\\x1b\\[[0-9;?]*[ -/]*[@-~]|\\x1b[^\\[]|[\\x00-\\x09\\x0b-\\x1f]");

  private final Process process;
  private final Path console;
  private final Path monitor;

  private QemuMachine(Process process, Path console, Path monitor) {
    this.process = process;
    this.console = console;
    this.monitor = monitor;
  }

  /** OVMF, Debian's UEFI firmware for QEMU (package ovmf): code, and variables to copy. */
  public static final Path UEFI_CODE = Path.of("/usr/share/OVMF/OVMF_CODE_4M.fd");

  public static final Path UEFI_VARS = Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd");

  /** Boots {@code image} as a CD-ROM. */
  public static QemuMachine bootCdrom(Path image, Path workDir) throws IOException {
    return start(workDir, List.of("-cdrom", image.toString(), "-boot", "d"));
  }

  /** Boots {@code image} as a raw hard disk, as a USB drive written with it would be. */
  public static QemuMachine bootDisk(Path image, Path workDir) throws IOException {
    String drive = "file=" + image + ",format=raw,if=ide,snapshot=on";
    return start(workDir, List.of("-drive", drive, "-boot", "c"));
  }

  /** Boots {@code image} as a CD-ROM under UEFI firmware. */
  public static QemuMachine bootCdromUefi(Path image, Path workDir) throws IOException {
    List<String> args = new ArrayList<>(uefi(workDir));
    args.addAll(List.of("-cdrom", image.toString()));
    return start(workDir, args);
  }

  /** Boots {@code image} as a raw hard disk (a USB drive) under UEFI firmware. */
  public static QemuMachine bootDiskUefi(Path image, Path workDir) throws IOException {
    List<String> args = new ArrayList<>(uefi(workDir));
    args.addAll(List.of("-drive", "file=" + image + ",format=raw,if=ide,snapshot=on"));
    return start(workDir, args);
  }

  /** Whether the UEFI firmware is installed. */
  public static boolean uefiInstalled() {
    return Files.isReadable(UEFI_CODE) && Files.isReadable(UEFI_VARS);
  }

  private static List<String> uefi(Path workDir) throws IOException {
    Path vars = workDir.resolve("uefi-vars.fd");
    Files.copy(UEFI_VARS, vars, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return List.of(
        "-drive",
        "if=pflash,format=raw,readonly=on,file=" + UEFI_CODE,
        "-drive",
        "if=pflash,format=raw,file=" + vars);
  }

  private static QemuMachine start(Path workDir, List<String> bootArgs) throws IOException {
    Path console = workDir.resolve("console.log");
    Path monitor = workDir.resolve("monitor.sock");
    List<String> command = new ArrayList<>();
    command.addAll(List.of(BINARY, "-accel", accelerator(), "-m", "256"));
    command.addAll(List.of("-nographic", "-no-reboot"));
    command.addAll(List.of("-monitor", "unix:" + monitor + ",server=on,wait=off"));
    command.addAll(List.of("-netdev", "user,id=n0", "-device", "e1000,netdev=n0,mac=" + MAC));
    command.addAll(bootArgs);
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(console.toFile())
            .redirectInput(ProcessBuilder.Redirect.PIPE)
            .start();
    return new QemuMachine(process, console, monitor);
  }

  /**
   * TCG unless {@code OSDEPLOY_QEMU_ACCEL} says otherwise: KVM on these machines failed to run
   * ISOLINUX ("emulation failure"), and the boot is short enough to emulate.
   */
  private static String accelerator() {
    String accel = System.getenv("OSDEPLOY_QEMU_ACCEL");
    return accel == null || accel.isBlank() ? "tcg" : accel;
  }

  /** Whether {@link #BINARY} is on the PATH. */
  public static boolean installed() {
    String path = System.getenv("PATH");
    return path != null
        && java.util.Arrays.stream(path.split(java.io.File.pathSeparator))
            .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, BINARY)));
  }

  public String console() throws IOException {
    return TERMINAL_CONTROL.matcher(rawConsole()).replaceAll("");
  }

  /**
   * The console's bytes as written, terminal control sequences included, with each control
   * character shown as {@code \xNN} so that a failure message shows what a match missed.
   */
  public String consoleBytes() throws IOException {
    StringBuilder shown = new StringBuilder();
    for (char c : rawConsole().toCharArray()) {
      if (c == '\n' || (c >= 0x20 && c < 0x7f)) {
        shown.append(c);
      } else {
        shown.append(String.format("\\x%02x", (int) c));
      }
    }
    return shown.toString();
  }

  private String rawConsole() throws IOException {
    return Files.exists(console) ? Files.readString(console, StandardCharsets.ISO_8859_1) : "";
  }

  /** Waits until the console shows {@code text}; false on timeout or if QEMU exited. */
  public boolean awaitConsole(String text, Duration timeout)
      throws IOException, InterruptedException {
    return awaitConsole("", text, timeout);
  }

  /** Waits until the console shows {@code text} somewhere after {@code earlier}. */
  public boolean awaitConsole(String earlier, String text, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline && process.isAlive()) {
      if (shows(earlier, text)) {
        return true;
      }
      Thread.sleep(200);
    }
    return shows(earlier, text);
  }

  private boolean shows(String earlier, String text) throws IOException {
    String console = console();
    int at = console.indexOf(earlier);
    return at >= 0 && console.indexOf(text, at + earlier.length()) >= 0;
  }

  /** Types {@code keys} (QEMU key names such as {@code a}, {@code 3}, {@code ret}). */
  public void type(String... keys) throws IOException, InterruptedException {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(monitor));
      for (String key : keys) {
        channel.write(
            ByteBuffer.wrap(("sendkey " + key + "\n").getBytes(StandardCharsets.US_ASCII)));
        Thread.sleep(150);
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }
}
