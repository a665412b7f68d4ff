package io.osdeploy.daemon.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.daemon.testing.TestContentServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class BootEnvironmentFilesTest {
  public static final byte[] KERNEL = "a kernel stand-in".getBytes(StandardCharsets.US_ASCII);
  public static final byte[] INITRD = "an initramfs stand-in".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;

  /** Writes a boot environment of stand-in files, as build.sh lays it out, and loads it. */
  public static BootEnvironmentFiles write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.write(dir.resolve("vmlinuz"), KERNEL);
    Files.write(dir.resolve("initrd.img"), INITRD);
    Files.writeString(
        dir.resolve("SHA256SUMS"),
        TestContentServer.sha256(KERNEL)
            + "  vmlinuz\n"
            + TestContentServer.sha256(INITRD)
            + "  initrd.img\n");
    return BootEnvironmentFiles.load(dir);
  }

  @Test
  void loadsFilesThatMatchTheirSums() throws IOException {
    BootEnvironmentFiles files = write(dir);
    assertEquals(TestContentServer.sha256(KERNEL), files.kernel().sha256());
    assertEquals(INITRD.length, files.initrd().size());
    assertTrue(files.verified("initrd.img").isPresent());
    assertTrue(files.verified("SHA256SUMS").isEmpty(), "only the kernel and the initramfs");
  }

  @Test
  void refusesAFileThatDoesNotMatchItsSumAndNamesIt() throws IOException {
    write(dir);
    Files.writeString(dir.resolve("initrd.img"), "changed after the build");
    IOException e = assertThrows(IOException.class, () -> BootEnvironmentFiles.load(dir));
    assertTrue(e.getMessage().contains("initrd.img: SHA-256 is"), e.getMessage());
  }

  @Test
  void refusesADirectoryWithoutSums() throws IOException {
    write(dir);
    Files.delete(dir.resolve("SHA256SUMS"));
    IOException e = assertThrows(IOException.class, () -> BootEnvironmentFiles.load(dir));
    assertTrue(e.getMessage().contains("SHA256SUMS: missing"), e.getMessage());
  }

  @Test
  void refusesSumsThatLeaveAFileOut() throws IOException {
    write(dir);
    Files.writeString(dir.resolve("SHA256SUMS"), TestContentServer.sha256(KERNEL) + "  vmlinuz\n");
    IOException e = assertThrows(IOException.class, () -> BootEnvironmentFiles.load(dir));
    assertTrue(e.getMessage().contains("names no initrd.img"), e.getMessage());
  }
}
