package io.osdeploy.operator.media;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The programs and boot loader files a media is made of, as Debian installs them. {@link
 * #requirePresent} names each missing file with the package that provides it.
 *
 * <p>iPXE ({@code ipxe.lkrn} for BIOS, {@code ipxe.efi} for UEFI) must be Debian 13's or newer:
 * older builds have no HTTPS. It is read from {@value #IPXE_DIR_VARIABLE} when that is set (the run
 * and test commands point it at the copy {@code scripts/ipxe.sh} unpacks), else from {@code
 * /usr/lib/ipxe}, where the operator's image has it.
 */
public record BootFiles(
    Path xorriso,
    Path isolinuxBin,
    Path ldlinuxC32,
    Path isohybridMbr,
    Path ipxeLkrn,
    Path ipxeEfi) {

  /** Environment variable naming the directory with {@code ipxe.lkrn} and {@code ipxe.efi}. */
  public static final String IPXE_DIR_VARIABLE = "OSDEPLOY_IPXE_DIR";

  private static final String IPXE_PACKAGE = "ipxe, Debian 13 or newer (scripts/ipxe.sh)";

  /** Where Debian's packages put them; xorriso is looked up on the PATH. */
  public static BootFiles debian() {
    String dir = System.getenv(IPXE_DIR_VARIABLE);
    Path ipxe = dir == null || dir.isBlank() ? Path.of("/usr/lib/ipxe") : Path.of(dir);
    return new BootFiles(
        onPath("xorriso"),
        Path.of("/usr/lib/ISOLINUX/isolinux.bin"),
        Path.of("/usr/lib/syslinux/modules/bios/ldlinux.c32"),
        Path.of("/usr/lib/ISOLINUX/isohdpfx.bin"),
        ipxe.resolve("ipxe.lkrn"),
        ipxe.resolve("ipxe.efi"));
  }

  /** The missing files, each with its Debian package; empty when all are present. */
  public List<String> missing() {
    List<String> missing = new ArrayList<>();
    check(missing, xorriso, "xorriso", Files::isExecutable);
    check(missing, isolinuxBin, "isolinux", Files::isReadable);
    check(missing, ldlinuxC32, "syslinux-common", Files::isReadable);
    check(missing, isohybridMbr, "isolinux", Files::isReadable);
    check(missing, ipxeLkrn, IPXE_PACKAGE, Files::isReadable);
    check(missing, ipxeEfi, IPXE_PACKAGE, Files::isReadable);
    return missing;
  }

  /** Throws {@link MissingBootFileException} naming every missing file and its package. */
  public BootFiles requirePresent() {
    List<String> missing = missing();
    if (!missing.isEmpty()) {
      throw new MissingBootFileException(
          "cannot build boot media, missing: " + String.join("; ", missing));
    }
    return this;
  }

  private static void check(
      List<String> missing, Path file, String debianPackage, Predicate<Path> present) {
    if (!present.test(file)) {
      missing.add(file + " (Debian package " + debianPackage + ")");
    }
  }

  private static Path onPath(String program) {
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(File.pathSeparator)) {
        if (!dir.isEmpty()) {
          Path candidate = Path.of(dir, program);
          if (Files.isExecutable(candidate)) {
            return candidate;
          }
        }
      }
    }
    return Path.of("/usr/bin", program);
  }

  /** A program or boot loader file the media builder needs is not installed. */
  public static final class MissingBootFileException extends IllegalStateException {
    public MissingBootFileException(String message) {
      super(message);
    }
  }
}
