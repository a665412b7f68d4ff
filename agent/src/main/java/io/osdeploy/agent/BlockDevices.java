package io.osdeploy.agent;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** What the agent needs to know of a disk that may be a block device or a file standing in. */
final class BlockDevices {
  private BlockDevices() {}

  /**
   * The size of a block device from the kernel's view ({@code /sys/class/block/<name>/size}, in
   * 512-byte sectors); 0 for anything else, such as a file standing in for a disk.
   */
  static long deviceBytes(Path target) {
    Path absolute = target.toAbsolutePath().normalize();
    if (!absolute.startsWith("/dev/") || absolute.getFileName() == null) {
      return 0;
    }
    Path sectors = Path.of("/sys/class/block", absolute.getFileName().toString(), "size");
    try {
      return Files.isReadable(sectors)
          ? Long.parseLong(Files.readString(sectors).strip()) * 512
          : 0;
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
  }

  /** The size of an open disk: a block device's from the kernel, a file's own. */
  static long size(Path disk, FileChannel channel) throws IOException {
    long device = deviceBytes(disk);
    return device > 0 ? device : channel.size();
  }

  /**
   * Asks the kernel to read a block device's partition table again (busybox or util-linux {@code
   * blockdev}), so that later steps find the partitions an image brought. Does nothing for a file;
   * a failure is not fatal: the partitions appear at the next boot anyway.
   */
  static void rereadPartitions(Path disk) {
    if (deviceBytes(disk) == 0) {
      return;
    }
    try {
      Process p =
          new ProcessBuilder("blockdev", "--rereadpt", disk.toString())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      p.waitFor(30, TimeUnit.SECONDS);
    } catch (IOException e) {
      // No blockdev on this system: the kernel reads the table at the next boot.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The device of partition {@code number} of a block device ({@code /dev/sda} 1: {@code
   * /dev/sda1}; {@code /dev/nvme0n1} 1: {@code /dev/nvme0n1p1}), once the kernel shows it; null for
   * a file or when it does not appear within ten seconds.
   */
  static Path partition(Path disk, int number) throws InterruptedException {
    if (deviceBytes(disk) == 0) {
      return null;
    }
    String name = disk.toAbsolutePath().normalize().toString();
    Path device =
        Path.of(name + (Character.isDigit(name.charAt(name.length() - 1)) ? "p" : "") + number);
    for (int i = 0; i < 40 && !Files.exists(device); i++) {
      Thread.sleep(250);
    }
    return Files.exists(device) ? device : null;
  }

  /**
   * Formats {@code device} as FAT32 with {@code mkfs.vfat} (dosfstools) or busybox's {@code
   * mkdosfs}; false when neither is there or it fails.
   */
  static boolean formatFat32(Path device) throws InterruptedException {
    for (String tool : new String[] {"mkfs.vfat", "mkdosfs"}) {
      try {
        Process p =
            new ProcessBuilder(tool, "-F", "32", "-n", "EFI", device.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return true;
        }
      } catch (IOException e) {
        // not on this system; try the next
      }
    }
    return false;
  }
}
