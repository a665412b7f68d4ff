package io.osdeploy.operator.media;

import io.osdeploy.digest.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Builds a boot media: a hybrid ISO 9660 image that boots from CD/DVD and, through its isohybrid
 * MBR, from a USB drive written with it byte for byte. ISOLINUX starts iPXE ({@code ipxe.lkrn})
 * with the {@link PointerScript} as its initrd. BIOS boot only: Debian's EFI iPXE cannot pick up a
 * script from the media (see docs/media.md).
 *
 * <p>The same inputs and the same boot files give the same bytes: fixed timestamps, owners,
 * permissions and volume identity. The ISO is written to a temporary directory, then moved
 * atomically to {@code <output directory>/<sha256>.iso}.
 */
public final class MediaBuilder {
  /** Every timestamp in the image: 2020-01-01T00:00:00Z. */
  static final Instant EPOCH = Instant.ofEpochSecond(1_577_836_800L);

  static final String VOLUME_ID = "OSDEPLOY";

  /** How the work directory of a build in the output directory is named. */
  static final String WORK_PREFIX = ".build-";

  static final String SCRIPT_FILE = "boot.ipxe";
  private static final long XORRISO_TIMEOUT_SECONDS = 60;
  private static final DateTimeFormatter ISO_TIMESTRING =
      DateTimeFormatter.ofPattern("yyyyMMddHHmmss'00'").withZone(ZoneOffset.UTC);

  private final BootFiles files;
  private final Path outputDirectory;

  public MediaBuilder(BootFiles files, Path outputDirectory) {
    this.files = files;
    this.outputDirectory = outputDirectory;
  }

  /** Builds the media for {@code inputs}; an identical earlier build is replaced by itself. */
  public Artifact build(MediaInputs inputs) throws IOException {
    files.requirePresent();
    String script = PointerScript.render(inputs);
    Files.createDirectories(outputDirectory);
    Path work = Files.createTempDirectory(outputDirectory, WORK_PREFIX);
    Artifact artifact;
    try {
      artifact = buildIn(work, script, inputs.digest());
    } catch (IOException | RuntimeException e) {
      try {
        deleteRecursively(work);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    deleteRecursively(work);
    return artifact;
  }

  private Artifact buildIn(Path work, String script, String inputsDigest) throws IOException {
    Path tree = stage(work.resolve("tree"), script);
    Path iso = work.resolve("media.iso");
    runXorriso(tree, iso);
    String sha256 = Sha256.of(iso);
    long size = Files.size(iso);
    Path target = outputDirectory.resolve(sha256 + ".iso");
    Files.move(iso, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return new Artifact(target, sha256, size, inputsDigest);
  }

  private Path stage(Path tree, String script) throws IOException {
    Files.createDirectories(tree);
    Files.copy(files.isolinuxBin(), tree.resolve("isolinux.bin"));
    Files.copy(files.ldlinuxC32(), tree.resolve("ldlinux.c32"));
    Files.copy(files.ipxeLkrn(), tree.resolve("ipxe.lkrn"));
    Files.writeString(tree.resolve(SCRIPT_FILE), script, StandardCharsets.UTF_8);
    Files.writeString(tree.resolve("isolinux.cfg"), isolinuxConfig(), StandardCharsets.UTF_8);
    try (var entries = Files.list(tree)) {
      for (Path p : entries.toList()) {
        Files.setLastModifiedTime(p, FileTime.from(EPOCH));
      }
    }
    Files.setLastModifiedTime(tree, FileTime.from(EPOCH));
    return tree;
  }

  private static String isolinuxConfig() {
    return "DEFAULT osdeploy\n"
        + "PROMPT 0\n"
        + "TIMEOUT 0\n"
        + "LABEL osdeploy\n"
        + "  KERNEL /ipxe.lkrn\n"
        + "  INITRD /"
        + SCRIPT_FILE
        + "\n";
  }

  private void runXorriso(Path tree, Path iso) throws IOException {
    String date = ISO_TIMESTRING.format(EPOCH);
    List<String> command = new ArrayList<>();
    command.addAll(List.of(files.xorriso().toString(), "-as", "mkisofs", "-quiet"));
    command.addAll(List.of("-o", iso.toString()));
    command.addAll(List.of("-r", "-uid", "0", "-gid", "0", "-file-mode", "0444"));
    command.addAll(List.of("-dir-mode", "0555", "-V", VOLUME_ID));
    command.addAll(List.of("--modification-date=" + date, "--set_all_file_dates", date));
    command.addAll(List.of("-b", "isolinux.bin", "-c", "boot.cat", "-no-emul-boot"));
    command.addAll(List.of("-boot-load-size", "4", "-boot-info-table"));
    command.addAll(List.of("-isohybrid-mbr", files.isohybridMbr().toString()));
    command.add(tree.toString());
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("SOURCE_DATE_EPOCH", Long.toString(EPOCH.getEpochSecond()));
    Process process = pb.start();
    byte[] output;
    try (InputStream in = process.getInputStream()) {
      output = in.readAllBytes();
    }
    try {
      if (!process.waitFor(XORRISO_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("xorriso did not finish within " + XORRISO_TIMEOUT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while xorriso was writing the media", e);
    }
    if (process.exitValue() != 0) {
      throw new IOException(
          "xorriso failed with exit code "
              + process.exitValue()
              + ": "
              + new String(output, StandardCharsets.UTF_8).strip());
    }
  }

  /** Deletes {@code dir} and all under it, or {@code dir} if it is a file. */
  static void deleteRecursively(Path dir) throws IOException {
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            Files.delete(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
