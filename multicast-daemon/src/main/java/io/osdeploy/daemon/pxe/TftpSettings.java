package io.osdeploy.daemon.pxe;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * What the read-only TFTP service serves and how it negotiates.
 *
 * @param directory where the boot files are
 * @param files the exact names served; nothing else in the directory is
 * @param maxBlockSize the largest block agreed to (RFC 2348); 1468 fills an Ethernet frame
 * @param maxWindowSize the most blocks sent before an ACK (RFC 7440)
 * @param timeout how long to wait for an ACK when the client names no timeout (RFC 2349)
 * @param maxTimeout the longest timeout a client may ask for; a longer one is declined (left out of
 *     the OACK) and {@code timeout} used
 * @param retries how many times a window is sent again before the transfer is given up
 * @param maxFileBytes files larger than this are refused instead of read into memory
 * @param maxTransfers transfers at once; a request beyond them is answered "server busy"
 */
public record TftpSettings(
    Path directory,
    Set<String> files,
    int maxBlockSize,
    int maxWindowSize,
    Duration timeout,
    Duration maxTimeout,
    int retries,
    long maxFileBytes,
    int maxTransfers) {
  public static final Path DEBIAN_IPXE = Path.of("/usr/lib/ipxe");
  public static final Set<String> IPXE_FILES = Set.of("undionly.kpxe", "ipxe.efi", "snponly.efi");

  public TftpSettings {
    Objects.requireNonNull(directory, "directory");
    files = Set.copyOf(files);
    for (String name : files) {
      if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*") || name.contains("..")) {
        throw new IllegalArgumentException("files: not a plain file name: " + name);
      }
    }
    if (maxBlockSize < 8 || maxBlockSize > 65464) {
      throw new IllegalArgumentException("maxBlockSize: must be between 8 and 65464");
    }
    if (maxWindowSize < 1 || maxWindowSize > 65535) {
      throw new IllegalArgumentException("maxWindowSize: must be between 1 and 65535");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout: must be positive");
    }
    if (maxTimeout.compareTo(timeout) < 0) {
      throw new IllegalArgumentException("maxTimeout: must be at least timeout");
    }
    if (maxTransfers < 1) {
      throw new IllegalArgumentException("maxTransfers: must be at least 1");
    }
    if (retries < 0) {
      throw new IllegalArgumentException("retries: must not be negative");
    }
  }

  /**
   * Debian's iPXE builds (package {@code ipxe}), 1468-byte blocks, windows up to 16 blocks,
   * timeouts of at most 5 s, 64 transfers at once (a room of machines powered on together).
   */
  public static TftpSettings debianIpxe() {
    return new TftpSettings(
        DEBIAN_IPXE,
        IPXE_FILES,
        1468,
        16,
        Duration.ofSeconds(1),
        Duration.ofSeconds(5),
        5,
        64L << 20,
        64);
  }
}
