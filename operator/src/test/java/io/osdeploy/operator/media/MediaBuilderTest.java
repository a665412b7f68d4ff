package io.osdeploy.operator.media;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.operator.testing.Prerequisites;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MediaBuilderTest {
  private static final String CA = "ab".repeat(32);
  static final MediaInputs INPUTS =
      MediaInputs.of("lab", "usb-key", List.of("http://dp1:8080", "http://dp2:8080"));

  @BeforeAll
  static void bootFilesInstalled() {
    List<String> missing = BootFiles.debian().missing();
    Prerequisites.require(missing.isEmpty(), "boot media tools: " + missing);
  }

  @Test
  void sameInputsGiveTheSameBytes(@TempDir Path first, @TempDir Path second) throws Exception {
    Artifact a = build(first, INPUTS);
    // Past a second boundary, so a wall-clock timestamp anywhere in the image would show.
    Thread.sleep(1_100);
    Artifact b = build(second, INPUTS);
    assertEquals(a.sha256(), b.sha256());
    assertArrayEquals(Files.readAllBytes(a.path()), Files.readAllBytes(b.path()));
    assertEquals(first.resolve(a.sha256() + ".iso"), a.path());
    assertEquals(io.osdeploy.digest.Sha256.of(a.path()), a.sha256());
    assertEquals(Files.size(a.path()), a.sizeBytes());
    assertEquals(INPUTS.digest(), a.inputsDigest());
  }

  @Test
  void anotherBootServerGivesOtherBytes(@TempDir Path dir) throws Exception {
    Artifact a = build(dir, INPUTS);
    Artifact b =
        build(dir, MediaInputs.of("lab", "usb-key", List.of("http://dp1:8080", "http://dp3:8080")));
    assertNotEquals(a.sha256(), b.sha256());
    assertNotEquals(a.inputsDigest(), b.inputsDigest());
    assertTrue(Files.exists(a.path()) && Files.exists(b.path()), "both artifacts kept");
  }

  @Test
  void isAHybridImageWithTheScriptOnIt(@TempDir Path dir) throws Exception {
    Artifact a = build(dir, INPUTS);
    byte[] iso = Files.readAllBytes(a.path());
    assertEquals(0, iso.length % 2048, "whole ISO 9660 sectors");
    assertEquals(0x55, iso[510] & 0xff, "MBR boot signature, so it boots as a USB disk");
    assertEquals(0xaa, iso[511] & 0xff);
    assertEquals("CD001", new String(iso, 0x8001, 5, java.nio.charset.StandardCharsets.US_ASCII));
    String text = new String(iso, java.nio.charset.StandardCharsets.ISO_8859_1);
    assertTrue(text.contains(PointerScript.render(INPUTS)), "the pointer script, readable");
  }

  @Test
  void itsEfiSystemPartitionHoldsIpxeAndTheScript(@TempDir Path dir) throws Exception {
    EspFiles.requireTools();
    Artifact a = build(dir, INPUTS);
    Path esp = dir.resolve("esp.img");
    Files.write(esp, EspFiles.fromIso(a.path(), "/" + MediaBuilder.EFI_IMAGE, dir));
    EspFiles.check(esp);
    assertArrayEquals(
        Files.readAllBytes(BootFiles.debian().ipxeEfi()),
        EspFiles.fromFat(esp, "::/" + MediaBuilder.EFI_LOADER, dir),
        "Debian's iPXE as it is");
    assertEquals(
        PointerScript.render(INPUTS),
        new String(EspFiles.fromFat(esp, "::/" + MediaBuilder.EFI_SCRIPT, dir), UTF_8));
  }

  @Test
  void mediaPinningACaTrustOnlyItAndStartOnlyUnderUefi(@TempDir Path dir) throws Exception {
    EspFiles.requireTools();
    MediaInputs pinned =
        MediaInputs.of("lab", "usb-key", List.of("https://dp1:8443")).withCaFingerprint(CA);
    Artifact a = build(dir, pinned);
    Path esp = dir.resolve("esp.img");
    Files.write(esp, EspFiles.fromIso(a.path(), "/" + MediaBuilder.EFI_IMAGE, dir));
    byte[] loader = EspFiles.fromFat(esp, "::/" + MediaBuilder.EFI_LOADER, dir);
    assertEquals(-1, IpxeTrust.indexOf(loader, IpxeTrust.IPXE_ROOT_CA, 0), "stock root gone");
    assertTrue(IpxeTrust.indexOf(loader, HexFormat.of().parseHex(CA), 0) >= 0, "CA pinned");
    String isolinux = new String(EspFiles.fromIso(a.path(), "/isolinux.cfg", dir), UTF_8);
    assertTrue(isolinux.contains(MediaBuilder.UEFI_ONLY_MESSAGE), isolinux);
    assertTrue(!isolinux.contains("ipxe.lkrn"), "no BIOS iPXE: it could not check the CA");

    Artifact other = build(dir, pinned.withCaFingerprint("cd".repeat(32)));
    assertNotEquals(a.sha256(), other.sha256(), "another CA, other bytes");
  }

  @Test
  void rebuildingReplacesTheArtifactAndLeavesNoTemporaryFiles(@TempDir Path dir) throws Exception {
    Artifact a = build(dir, INPUTS);
    Artifact b = build(dir, INPUTS);
    assertEquals(a, b);
    try (var files = Files.list(dir)) {
      assertEquals(List.of(a.path()), files.toList());
    }
  }

  @Test
  void namesEveryMissingFileAndItsPackage(@TempDir Path dir) {
    BootFiles debian = BootFiles.debian();
    BootFiles broken =
        new BootFiles(
            dir.resolve("no-xorriso"),
            debian.isolinuxBin(),
            dir.resolve("ldlinux.c32"),
            debian.isohybridMbr(),
            debian.ipxeLkrn(),
            debian.ipxeEfi());
    BootFiles.MissingBootFileException e =
        assertThrows(
            BootFiles.MissingBootFileException.class,
            () -> new MediaBuilder(broken, dir.resolve("out")).build(INPUTS));
    assertTrue(e.getMessage().contains(dir.resolve("no-xorriso") + " (Debian package xorriso)"));
    assertTrue(
        e.getMessage().contains(dir.resolve("ldlinux.c32") + " (Debian package syslinux-common)"),
        e.getMessage());
  }

  private static Artifact build(Path dir, MediaInputs inputs) throws IOException {
    long start = System.nanoTime();
    Artifact artifact = new MediaBuilder(BootFiles.debian(), dir).build(inputs);
    System.out.printf(
        "built %s (%d bytes) in %d ms%n",
        artifact.path().getFileName(),
        artifact.sizeBytes(),
        (System.nanoTime() - start) / 1_000_000);
    return artifact;
  }
}
