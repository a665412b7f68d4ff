package io.osdeploy.operator.media;

import io.osdeploy.operator.testing.Prerequisites;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reads media back with independent tools: xorriso takes a file out of an ISO, dosfstools' {@code
 * fsck.fat} checks a FAT image, mtools' {@code mcopy} takes a file out of one by its long name.
 */
final class EspFiles {
  private EspFiles() {}

  static void requireTools() {
    for (String tool : List.of("xorriso", "fsck.fat", "mcopy")) {
      Prerequisites.require(
          io.osdeploy.daemon.testing.Prerequisites.onPath(tool),
          tool + " (Debian packages xorriso, dosfstools, mtools)");
    }
  }

  /** {@code path} (e.g. {@code /efi.img}) copied out of the ISO {@code iso}. */
  static byte[] fromIso(Path iso, String path, Path work) throws IOException, InterruptedException {
    Path out = Files.createTempFile(work, "iso-", ".out");
    Files.delete(out);
    run("xorriso", "-osirrox", "on", "-indev", iso.toString(), "-extract", path, out.toString());
    return Files.readAllBytes(out);
  }

  /** {@code path} (e.g. {@code ::/EFI/BOOT/autoexec.ipxe}) copied out of the FAT image. */
  static byte[] fromFat(Path image, String path, Path work)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile(work, "fat-", ".out");
    Files.delete(out);
    run("mcopy", "-n", "-i", image.toString(), path, out.toString());
    return Files.readAllBytes(out);
  }

  /** {@code fsck.fat -n}'s report; throws if it finds a fault. */
  static String check(Path image) throws IOException, InterruptedException {
    return run("fsck.fat", "-n", "-v", image.toString());
  }

  private static String run(String... command) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of(command));
    Process p = new ProcessBuilder(args).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed:\n" + output);
    }
    return output;
  }
}
