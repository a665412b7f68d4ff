package io.osdeploy.operator.media;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FatImageTest {
  @TempDir Path dir;

  @BeforeAll
  static void tools() {
    EspFiles.requireTools();
  }

  @Test
  void dosfstoolsFindsNoFaultAndMtoolsReadsEveryFileBack() throws Exception {
    byte[] loader = new byte[1_000_003]; // not a whole number of clusters
    new Random(7).nextBytes(loader);
    byte[] script = "#!ipxe\necho hello\n".getBytes(StandardCharsets.US_ASCII);
    SortedMap<String, byte[]> files = new TreeMap<>();
    files.put("EFI/BOOT/BOOTX64.EFI", loader);
    files.put("EFI/BOOT/autoexec.ipxe", script);
    files.put("EFI/osdeploy/a-rather-long-file-name.txt", "x".getBytes(StandardCharsets.US_ASCII));
    files.put("README.TXT", new byte[0]);
    Path image = dir.resolve("esp.img");
    Files.write(image, FatImage.of(files));

    String report = EspFiles.check(image);
    assertTrue(report.contains("12 bit entries"), report);
    assertArrayEquals(loader, EspFiles.fromFat(image, "::/EFI/BOOT/BOOTX64.EFI", dir));
    assertArrayEquals(script, EspFiles.fromFat(image, "::/EFI/BOOT/autoexec.ipxe", dir));
    assertArrayEquals(
        "x".getBytes(StandardCharsets.US_ASCII),
        EspFiles.fromFat(image, "::/EFI/osdeploy/a-rather-long-file-name.txt", dir));
    assertArrayEquals(new byte[0], EspFiles.fromFat(image, "::/README.TXT", dir));
  }

  @Test
  void sameFilesGiveTheSameBytes() {
    SortedMap<String, byte[]> files = new TreeMap<>();
    files.put("EFI/BOOT/autoexec.ipxe", new byte[] {1, 2, 3});
    assertArrayEquals(FatImage.of(files), FatImage.of(new TreeMap<>(files)));
  }

  @Test
  void refusesWhatFat12CannotHold() {
    SortedMap<String, byte[]> files = new TreeMap<>();
    files.put("BIG.BIN", new byte[9 * 1024 * 1024]);
    assertThrows(IllegalArgumentException.class, () -> FatImage.of(files));
  }
}
