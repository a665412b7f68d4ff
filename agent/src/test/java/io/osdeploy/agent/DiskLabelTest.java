package io.osdeploy.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The partition tables the agent writes, read back by util-linux's sfdisk. */
class DiskLabelTest {
  private static final long MIB = 1 << 20;

  @TempDir Path dir;

  private Path disk(long bytes, byte fill) throws IOException {
    Path disk = dir.resolve("disk.img");
    try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
      f.setLength(bytes);
      byte[] junk = new byte[(int) MIB];
      Arrays.fill(junk, fill);
      f.seek(0);
      f.write(junk);
      f.seek(bytes - MIB);
      f.write(junk);
    }
    return disk;
  }

  private static JsonNode sfdisk(Path disk) throws Exception {
    String sfdisk =
        Files.isExecutable(Path.of("/usr/sbin/sfdisk")) ? "/usr/sbin/sfdisk" : "/sbin/sfdisk";
    boolean present = Files.isExecutable(Path.of(sfdisk));
    if (!present && "true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new AssertionError("missing prerequisite under CI: sfdisk (apt-get install fdisk)");
    }
    Assumptions.assumeTrue(
        present, "skipped, missing prerequisite: sfdisk (apt-get install fdisk)");
    Process verify =
        new ProcessBuilder(sfdisk, "--verify", disk.toString()).redirectErrorStream(true).start();
    String verified = new String(verify.getInputStream().readAllBytes());
    assertTrue(verify.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, verify.exitValue(), verified);
    Process p = new ProcessBuilder(sfdisk, "--json", disk.toString()).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), new String(out));
    return new ObjectMapper().readTree(out).path("partitiontable");
  }

  @Test
  void gptWithOnePartitionFromOneMibToTheEnd() throws Exception {
    long size = 64 * MIB;
    Path disk = disk(size, (byte) 0x5a);
    DiskLabel.Partition p = DiskLabel.write(disk, DiskLabel.Scheme.GPT);

    JsonNode table = sfdisk(disk);
    assertEquals("gpt", table.path("label").asText());
    JsonNode part = table.path("partitions").get(0);
    assertEquals(1, table.path("partitions").size());
    assertEquals(2048, part.path("start").asLong());
    assertEquals(p.offset(), part.path("start").asLong() * 512);
    assertEquals(p.length(), part.path("size").asLong() * 512);
    assertEquals(DiskLabel.LINUX_DATA.toString().toUpperCase(), part.path("type").asText());
    // The partition ends before the backup table: 33 sectors at the end are GPT's.
    assertEquals(size - 33 * 512, p.offset() + p.length());
  }

  @Test
  void mbrWithOneLinuxPartition() throws Exception {
    Path disk = disk(16 * MIB, (byte) 0x33);
    DiskLabel.Partition p = DiskLabel.write(disk, DiskLabel.Scheme.MBR);

    JsonNode table = sfdisk(disk);
    assertEquals("dos", table.path("label").asText());
    JsonNode part = table.path("partitions").get(0);
    assertEquals(2048, part.path("start").asLong());
    assertEquals("83", part.path("type").asText());
    assertEquals(16 * MIB - MIB, p.length());
  }

  @Test
  void aDiskTooSmallIsRefusedWithItsSize() throws Exception {
    Path disk = dir.resolve("tiny.img");
    Files.write(disk, new byte[1 << 20]);
    IOException e =
        assertThrows(IOException.class, () -> DiskLabel.write(disk, DiskLabel.Scheme.GPT));
    assertTrue(e.getMessage().contains("1048576 bytes"), e.getMessage());
  }

  @Test
  void aWholeDiskImageOnALargerDiskGetsItsBackupGptAtTheEnd() throws Exception {
    Path disk = disk(8 * MIB, (byte) 0);
    DiskLabel.Partition p = DiskLabel.write(disk, DiskLabel.Scheme.GPT);
    // The image was 8 MiB; the disk it was written to holds 24.
    try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
      f.setLength(24 * MIB);
    }
    assertTrue(DiskLabel.moveGptBackupToEnd(disk));
    JsonNode table = sfdisk(disk);
    assertEquals((24 * MIB) / 512 - 34, table.path("lastlba").asLong(), table.toString());
    JsonNode part = table.path("partitions").get(0);
    assertEquals(p.offset(), part.path("start").asLong() * 512, "the partitions stay");
    assertEquals(p.length(), part.path("size").asLong() * 512);
    assertTrue(!DiskLabel.moveGptBackupToEnd(disk), "nothing more to move");
  }

  @Test
  void anMbrDiskImageHasNoGptToMove() throws Exception {
    Path disk = disk(8 * MIB, (byte) 0);
    DiskLabel.write(disk, DiskLabel.Scheme.MBR);
    assertTrue(!DiskLabel.moveGptBackupToEnd(disk));
  }

  @Test
  void aPartitionIsFoundWhereTheTableWroteIt() throws Exception {
    Path gpt = disk(512 * MIB, (byte) 0);
    DiskLabel.Written w = DiskLabel.write(gpt, DiskLabel.Scheme.GPT, true);
    try (var ch = java.nio.channels.FileChannel.open(gpt)) {
      assertEquals(w.efiSystem(), DiskLabel.partition(ch, 1));
      assertEquals(w.image(), DiskLabel.partition(ch, 2));
      assertEquals(null, DiskLabel.partition(ch, 3), "an unused entry");
    }
    Path mbr = disk(64 * MIB, (byte) 0);
    DiskLabel.Partition only = DiskLabel.write(mbr, DiskLabel.Scheme.MBR);
    try (var ch = java.nio.channels.FileChannel.open(mbr)) {
      assertEquals(only, DiskLabel.partition(ch, 1));
      assertEquals(null, DiskLabel.partition(ch, 2));
      assertEquals(null, DiskLabel.partition(ch, 5), "an MBR has four");
    }
  }

  @Test
  void uefiLayoutHasAnEfiSystemPartitionThenTheImagesPartition() throws Exception {
    long size = 512 * MIB;
    Path disk = disk(size, (byte) 0x42);
    DiskLabel.Written w = DiskLabel.write(disk, DiskLabel.Scheme.GPT, true);
    JsonNode table = sfdisk(disk);
    assertEquals(2, table.path("partitions").size(), table.toString());
    JsonNode esp = table.path("partitions").get(0);
    JsonNode os = table.path("partitions").get(1);
    assertEquals(DiskLabel.EFI_SYSTEM.toString().toUpperCase(), esp.path("type").asText());
    assertEquals(2048, esp.path("start").asLong());
    assertEquals(DiskLabel.ESP_BYTES, esp.path("size").asLong() * 512);
    assertEquals(w.efiSystem().offset(), esp.path("start").asLong() * 512);
    assertEquals(DiskLabel.LINUX_DATA.toString().toUpperCase(), os.path("type").asText());
    assertEquals(w.image().offset(), os.path("start").asLong() * 512);
    assertEquals(w.image().length(), os.path("size").asLong() * 512);
    assertEquals(size - 33 * 512, w.image().offset() + w.image().length());
    assertThrows(
        IOException.class, () -> DiskLabel.write(disk, DiskLabel.Scheme.MBR, true), "GPT only");
  }

  @Test
  void windowsGptLayoutAndItsStagingPartitionAsSfdiskReadsThem() throws Exception {
    long size = 2048 * MIB;
    Path disk = disk(size, (byte) 0x11);
    DiskLabel.WindowsLayout layout = DiskLabel.writeWindows(disk, DiskLabel.Scheme.GPT);
    JsonNode parts = sfdisk(disk).path("partitions");
    assertEquals(4, parts.size());
    assertEquals(DiskLabel.EFI_SYSTEM.toString().toUpperCase(), parts.get(0).path("type").asText());
    assertEquals(DiskLabel.ESP_BYTES, parts.get(0).path("size").asLong() * 512);
    assertEquals(
        DiskLabel.MICROSOFT_RESERVED.toString().toUpperCase(), parts.get(1).path("type").asText());
    assertEquals(16 * MIB, parts.get(1).path("size").asLong() * 512);
    assertEquals(DiskLabel.BASIC_DATA.toString().toUpperCase(), parts.get(2).path("type").asText());
    assertEquals(
        DiskLabel.WINDOWS_RECOVERY.toString().toUpperCase(), parts.get(3).path("type").asText());
    assertEquals("RequiredPartition GUID:63", parts.get(3).path("attrs").asText());
    assertEquals(layout.windows().at().offset(), parts.get(2).path("start").asLong() * 512);
    assertEquals(layout.windows().at().length(), parts.get(2).path("size").asLong() * 512);
    long recoveryEnd = (parts.get(3).path("start").asLong() + parts.get(3).path("size").asLong());
    assertTrue(recoveryEnd * 512 > size - MIB, "the recovery partition ends the disk");
    assertEquals(0, parts.get(3).path("start").asLong() * 512 % MIB);

    DiskLabel.Partition stage = DiskLabel.windowsStage(disk, layout, 300 * MIB + 1);
    parts = sfdisk(disk).path("partitions");
    assertEquals(5, parts.size());
    assertEquals(301 * MIB, stage.length());
    assertEquals(stage.offset(), parts.get(4).path("start").asLong() * 512);
    assertEquals(
        layout.windows().at().length() - stage.length(), parts.get(2).path("size").asLong() * 512);

    DiskLabel.windowsStage(disk, layout, 0);
    parts = sfdisk(disk).path("partitions");
    assertEquals(4, parts.size());
    assertEquals(layout.windows().at().length(), parts.get(2).path("size").asLong() * 512);
  }

  @Test
  void windowsMbrLayoutHasAnActiveSystemPartitionAndARecoveryPartition() throws Exception {
    Path disk = disk(2048 * MIB, (byte) 0x22);
    DiskLabel.writeWindows(disk, DiskLabel.Scheme.MBR);
    JsonNode parts = sfdisk(disk).path("partitions");
    assertEquals(3, parts.size());
    assertEquals("7", parts.get(0).path("type").asText());
    assertTrue(parts.get(0).path("bootable").asBoolean(), parts.get(0).toString());
    assertEquals(100 * MIB, parts.get(0).path("size").asLong() * 512);
    assertEquals("7", parts.get(1).path("type").asText());
    assertEquals("27", parts.get(2).path("type").asText());
  }
}
