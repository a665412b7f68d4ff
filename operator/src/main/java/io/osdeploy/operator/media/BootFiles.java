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
 */
public record BootFiles(
    Path xorriso, Path isolinuxBin, Path ldlinuxC32, Path isohybridMbr, Path ipxeLkrn) {

  /** Where Debian's packages put them; xorriso is looked up on the PATH. */
  public static BootFiles debian() {
    return new BootFiles(
        onPath("xorriso"),
        Path.of("/usr/lib/ISOLINUX/isolinux.bin"),
        Path.of("/usr/lib/syslinux/modules/bios/ldlinux.c32"),
        Path.of("/usr/lib/ISOLINUX/isohdpfx.bin"),
        Path.of("/usr/lib/ipxe/ipxe.lkrn"));
  }

  /** The missing files, each with its Debian package; empty when all are present. */
  public List<String> missing() {
    List<String> missing = new ArrayList<>();
    check(missing, xorriso, "xorriso", Files::isExecutable);
    check(missing, isolinuxBin, "isolinux", Files::isReadable);
    check(missing, ldlinuxC32, "syslinux-common", Files::isReadable);
    check(missing, isohybridMbr, "isolinux", Files::isReadable);
    check(missing, ipxeLkrn, "ipxe", Files::isReadable);
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
