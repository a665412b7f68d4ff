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
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Builds a boot media: a hybrid ISO 9660 image that boots from CD/DVD and, through its isohybrid
 * MBR and GPT, from a USB drive written with it byte for byte, by BIOS and by UEFI.
 *
 * <ul>
 *   <li>BIOS: ISOLINUX starts iPXE ({@code ipxe.lkrn}) with the {@link PointerScript} as its
 *       initrd.
 *   <li>UEFI: the EFI system partition ({@value #EFI_IMAGE}, a {@link FatImage}) holds iPXE as
 *       {@code /EFI/BOOT/BOOTX64.EFI} and the same script beside it as {@code autoexec.ipxe}, which
 *       iPXE runs when it starts.
 * </ul>
 *
 * <p>Media pinning a CA boot by UEFI only: their {@code BOOTX64.EFI} trusts that CA alone ({@link
 * IpxeTrust}), which a BIOS iPXE cannot be made to do, so under BIOS ISOLINUX says so and hands the
 * machine back to the firmware.
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
  static final String EFI_IMAGE = "efi.img";
  static final String EFI_LOADER = "EFI/BOOT/BOOTX64.EFI";
  static final String EFI_SCRIPT = "EFI/BOOT/autoexec.ipxe";

  /** What ISOLINUX shows when a media pinning a CA is started by BIOS. */
  static final String UEFI_ONLY_MESSAGE =
      "osdeploy: this media pins its boot servers' CA and starts only in UEFI mode";

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
      artifact = buildIn(work, script, inputs);
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

  private Artifact buildIn(Path work, String script, MediaInputs inputs) throws IOException {
    Path tree = stage(work.resolve("tree"), script, inputs.caFingerprint());
    Path iso = work.resolve("media.iso");
    runXorriso(tree, iso);
    String sha256 = Sha256.of(iso);
    long size = Files.size(iso);
    Path target = outputDirectory.resolve(sha256 + ".iso");
    Files.move(iso, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return new Artifact(target, sha256, size, inputs.digest());
  }

  private Path stage(Path tree, String script, String caFingerprint) throws IOException {
    Files.createDirectories(tree);
    Files.copy(files.isolinuxBin(), tree.resolve("isolinux.bin"));
    Files.copy(files.ldlinuxC32(), tree.resolve("ldlinux.c32"));
    boolean pinned = caFingerprint != null;
    if (!pinned) {
      Files.copy(files.ipxeLkrn(), tree.resolve("ipxe.lkrn"));
    }
    Files.writeString(tree.resolve(SCRIPT_FILE), script, StandardCharsets.UTF_8);
    Files.writeString(
        tree.resolve("isolinux.cfg"),
        pinned ? uefiOnlyIsolinuxConfig() : isolinuxConfig(),
        StandardCharsets.UTF_8);
    byte[] efi = Files.readAllBytes(files.ipxeEfi());
    if (pinned) {
      efi = IpxeTrust.pin(efi, caFingerprint, files.ipxeEfi().toString());
    }
    SortedMap<String, byte[]> esp = new TreeMap<>();
    esp.put(EFI_LOADER, efi);
    esp.put(EFI_SCRIPT, script.getBytes(StandardCharsets.UTF_8));
    Files.write(tree.resolve(EFI_IMAGE), FatImage.of(esp));
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

  /** ISOLINUX for media that must not start under BIOS: say why, then back to the firmware. */
  private static String uefiOnlyIsolinuxConfig() {
    return "SAY "
        + UEFI_ONLY_MESSAGE
        + "\n"
        + "SAY osdeploy: under BIOS it cannot check that CA; going back to the firmware\n"
        + "DEFAULT firmware\n"
        + "PROMPT 1\n"
        + "TIMEOUT 100\n"
        + "LABEL firmware\n"
        + "  LOCALBOOT -1\n";
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
    command.addAll(List.of("-eltorito-alt-boot", "-e", EFI_IMAGE, "-no-emul-boot"));
    command.add("-isohybrid-gpt-basdat");
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
