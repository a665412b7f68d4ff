package io.osdeploy.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Puts a Windows image file (format Wim) on the Windows layout's partitions with the tools Linux
 * has for it: {@code mkntfs}, {@code wimlib-imagex} in its NTFS-3G mode (so security descriptors,
 * short names and reparse points arrive as Windows wrote them), {@code ntfsresize}, {@code ntfs-3g}
 * and mtools. The image file is staged in a partition lent from the Windows partition's tail,
 * because wimlib reads an image file at random; once applied, the tail is given back and the NTFS
 * volume grown over it. Boot files are copied as bcdboot copies them, from the applied image's own
 * {@code Windows/Boot}.
 */
final class WindowsImage {
  private static final Duration FORMAT = Duration.ofMinutes(10);
  private static final Duration APPLY = Duration.ofHours(2);

  /** How a partition of a disk is reached: the kernel's device for it once it shows it. */
  interface PartitionDevices {
    /** The device of partition {@code number} (1 is the first) as the table now has it, or null. */
    Path device(Path disk, int number) throws IOException, InterruptedException;
  }

  private final Path disk;
  private final DiskLabel.WindowsLayout layout;
  private final PartitionDevices devices;

  WindowsImage(Path disk, DiskLabel.WindowsLayout layout) {
    this(
        disk,
        layout,
        (d, number) -> {
          BlockDevices.rereadPartitions(d);
          return BlockDevices.partition(d, number);
        });
  }

  WindowsImage(Path disk, DiskLabel.WindowsLayout layout, PartitionDevices devices) {
    this.disk = disk;
    this.layout = layout;
    this.devices = devices;
  }

  /**
   * Formats the layout's other partitions: the EFI system partition FAT32 (GPT), the system
   * partition NTFS (MBR), the recovery partition NTFS. The Windows partition is formatted when an
   * image is applied to it.
   */
  String formatSupporting() throws IOException, InterruptedException {
    Path boot = device(layout.boot());
    if (layout.scheme() == DiskLabel.Scheme.GPT) {
      if (!BlockDevices.formatFat32(boot)) {
        throw new IOException(boot + ": mkfs.vfat could not format the EFI system partition");
      }
    } else {
      mkntfs(boot, "System");
    }
    mkntfs(device(layout.recovery()), "Recovery");
    return boot
        + (layout.scheme() == DiskLabel.Scheme.GPT ? " FAT32, " : " NTFS, ")
        + device(layout.recovery())
        + " NTFS";
  }

  /**
   * Lends {@code bytes} of the Windows partition's tail to a staging partition and returns its
   * device, where the image file is written and checked before it is applied.
   */
  Path stage(long bytes) throws IOException, InterruptedException {
    DiskLabel.windowsStage(disk, layout, bytes);
    Path stage = devices.device(disk, layout.stageNumber());
    if (stage == null) {
      throw new IOException(disk + ": the staging partition did not appear");
    }
    return stage;
  }

  /**
   * Applies image {@code index} of the staged image file to a freshly formatted Windows partition,
   * gives the staging partition back and grows the volume over it, then writes the boot files.
   */
  String apply(Path staged, int index) throws IOException, InterruptedException {
    Path windows = device(layout.windows());
    mkntfs(windows, "Windows");
    run(
        List.of(
            "wimlib-imagex",
            "apply",
            staged.toString(),
            Integer.toString(index),
            windows.toString()),
        APPLY);
    DiskLabel.windowsStage(disk, layout, 0);
    windows = device(layout.windows());
    // Grows the volume to the partition's end. ntfsresize marks it for a consistency check, which
    // Windows runs once at its first start.
    run(
        List.of("ntfsresize", "--force", "--force", "--no-progress-bar", windows.toString()),
        FORMAT);
    List<String> written;
    try (Mounted volume = mount(windows)) {
      written =
          layout.scheme() == DiskLabel.Scheme.GPT
              ? efiBootFiles(volume.dir())
              : biosBootFiles(volume.dir());
    }
    return "image "
        + index
        + " applied to "
        + windows
        + "; boot files: "
        + String.join(", ", written);
  }

  /** Mounts the Windows partition read-write (ntfs-3g), for steps that add files to it. */
  Mounted mountWindows() throws IOException, InterruptedException {
    return mount(device(layout.windows()));
  }

  /**
   * The UEFI boot files as bcdboot writes them: the boot manager and its resources in
   * EFI/Microsoft/Boot, the boot manager again as the removable-media path EFI/Boot/bootx64.efi,
   * and the image's BCD template as the store.
   */
  private List<String> efiBootFiles(Path windows) throws IOException, InterruptedException {
    Path efi = existing(windows, "Windows/Boot/EFI");
    Path manager = existing(efi, "bootmgfw.efi");
    Path template = existing(windows, "Windows/System32/config/BCD-Template");
    String esp = device(layout.boot()).toString();
    List<String> mtools = new ArrayList<>(List.of("mmd", "-i", esp));
    mtools.addAll(List.of("::/EFI", "::/EFI/Microsoft", "::/EFI/Boot"));
    run(mtools, FORMAT);
    run(List.of("mcopy", "-i", esp, "-s", "-o", efi.toString(), "::/EFI/Microsoft/Boot"), FORMAT);
    Path fonts = windows.resolve("Windows/Boot/Fonts");
    if (Files.isDirectory(fonts)) {
      run(
          List.of("mcopy", "-i", esp, "-s", "-o", fonts.toString(), "::/EFI/Microsoft/Boot/Fonts"),
          FORMAT);
    }
    Path store = bootStore(template, true);
    try {
      run(List.of("mcopy", "-i", esp, "-o", store.toString(), "::/EFI/Microsoft/Boot/BCD"), FORMAT);
    } finally {
      Files.deleteIfExists(store);
    }
    run(List.of("mcopy", "-i", esp, "-o", manager.toString(), "::/EFI/Boot/bootx64.efi"), FORMAT);
    return List.of(
        "EFI/Microsoft/Boot (from Windows/Boot/EFI)",
        "EFI/Microsoft/Boot/BCD (BCD-Template with the boot manager and a loader for the Windows"
            + " partition)",
        "EFI/Boot/bootx64.efi");
  }

  /**
   * The BIOS boot files as bcdboot writes them on the active system partition: bootmgr at its root,
   * the rest of Windows/Boot/PCAT in Boot, and the image's BCD template as Boot/BCD.
   */
  private List<String> biosBootFiles(Path windows) throws IOException, InterruptedException {
    Path pcat = existing(windows, "Windows/Boot/PCAT");
    Path template = existing(windows, "Windows/System32/config/BCD-Template");
    try (Mounted system = mount(device(layout.boot()))) {
      Path boot = system.dir().resolve("Boot");
      copyTree(pcat, boot);
      Path fonts = windows.resolve("Windows/Boot/Fonts");
      if (Files.isDirectory(fonts)) {
        copyTree(fonts, boot.resolve("Fonts"));
      }
      Files.move(
          boot.resolve("bootmgr"),
          system.dir().resolve("bootmgr"),
          StandardCopyOption.REPLACE_EXISTING);
      Path store = bootStore(template, false);
      try {
        Files.copy(store, boot.resolve("BCD"), StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(store);
      }
    }
    return List.of(
        "bootmgr",
        "Boot (from Windows/Boot/PCAT)",
        "Boot/BCD (BCD-Template with the boot manager and a loader for the Windows partition)");
  }

  /**
   * A copy of the image's BCD template with the entries bcdboot adds: the boot manager on the
   * layout's boot partition, and a loader for the Windows partition as its default.
   */
  private Path bootStore(Path template, boolean uefi) throws IOException, InterruptedException {
    Path store = Files.createTempFile("osdeploy-bcd-", "");
    try {
      Files.copy(template, store, StandardCopyOption.REPLACE_EXISTING);
      BootStore.write(
          store,
          uefi,
          DiskLabel.bootDevice(disk, layout.boot().number()),
          DiskLabel.bootDevice(disk, layout.windows().number()),
          "Windows");
      return store;
    } catch (IOException | InterruptedException | RuntimeException e) {
      Files.deleteIfExists(store);
      throw e;
    }
  }

  private static Path existing(Path dir, String relative) throws IOException {
    Path p = dir.resolve(relative);
    if (!Files.exists(p)) {
      throw new IOException("the image has no " + relative + " to make the machine start from");
    }
    return p;
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      files.forEach(
          f -> {
            Path target = to.resolve(from.relativize(f).toString());
            try {
              if (Files.isDirectory(f)) {
                Files.createDirectories(target);
              } else {
                Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
              }
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private Path device(DiskLabel.Numbered partition) throws IOException, InterruptedException {
    Path device = devices.device(disk, partition.number());
    if (device == null) {
      throw new IOException(
          disk
              + ": partition "
              + partition.number()
              + " has no device (a Windows image needs a"
              + " block device)");
    }
    return device;
  }

  private static void mkntfs(Path device, String label) throws IOException, InterruptedException {
    run(List.of("mkntfs", "--quick", "--label", label, device.toString()), FORMAT);
  }

  /** An NTFS volume mounted with ntfs-3g in a directory of its own; closing unmounts it. */
  record Mounted(Path dir) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      try {
        run(List.of("umount", dir.toString()), Duration.ofMinutes(5));
        Files.deleteIfExists(dir);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while unmounting " + dir);
      }
    }
  }

  static Mounted mount(Path device) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("osdeploy-ntfs-");
    try {
      run(List.of("ntfs-3g", device.toString(), dir.toString()), Duration.ofMinutes(5));
    } catch (IOException e) {
      Files.deleteIfExists(dir);
      throw e;
    }
    return new Mounted(dir);
  }

  /**
   * Runs a tool and waits for it; fails with the tool's last output lines when it cannot start,
   * exits with other than 0, or outlives {@code timeout}.
   */
  static String run(List<String> command, Duration timeout)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put("MTOOLS_SKIP_CHECK", "1"); // an EFI system partition of any geometry is fine
    Path log = Files.createTempFile("osdeploy-tool-", ".log");
    try {
      pb.redirectOutput(log.toFile());
      pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
      Process p;
      try {
        p = pb.start();
      } catch (IOException e) {
        throw new IOException(command.get(0) + " is not in this boot environment", e);
      }
      if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(command.get(0) + " did not finish within " + timeout);
      }
      String output = Files.readString(log);
      if (p.exitValue() != 0) {
        String[] lines = output.strip().split("\n");
        String tail =
            String.join(" | ", List.of(lines).subList(Math.max(0, lines.length - 3), lines.length));
        throw new IOException(command.get(0) + " exited with " + p.exitValue() + ": " + tail);
      }
      return output;
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
