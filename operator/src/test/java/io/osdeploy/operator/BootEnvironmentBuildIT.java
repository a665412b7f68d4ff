package io.osdeploy.operator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.operator.testing.BootEnvironmentBuild;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code boot-environment/build.sh}, run afresh, gives the same bytes as its cached build of the
 * same inputs (the one the virtual-machine tests boot, built now or by an earlier run); the
 * initramfs holds the agent, its runtime, {@code /init} and the drivers common hardware needs, and
 * stays within 64 MiB compressed.
 */
class BootEnvironmentBuildIT {
  private static final long MAX_INITRD_BYTES = 64L * 1024 * 1024;

  @TempDir Path dir;

  @Test
  void theSameInputsGiveTheSameBytes() throws Exception {
    Path first = BootEnvironmentBuild.bootEnvironment();
    Path second = BootEnvironmentBuild.bootEnvironmentInto(dir.resolve("again"));
    for (String file : List.of("vmlinuz", "initrd.img", "SHA256SUMS")) {
      assertArrayEquals(
          Files.readAllBytes(first.resolve(file)),
          Files.readAllBytes(second.resolve(file)),
          file + " differs between " + first + " and a fresh build of the same inputs");
    }
    long size = Files.size(first.resolve("initrd.img"));
    System.out.printf(
        "boot environment: vmlinuz %d bytes, initrd.img %d bytes%n",
        Files.size(first.resolve("vmlinuz")), size);
    assertTrue(size <= MAX_INITRD_BYTES, "initrd.img is " + size + " bytes");

    Process list =
        new ProcessBuilder(
                "sh", "-c", "zstd -dc '" + first.resolve("initrd.img") + "' | cpio -t --quiet")
            .redirectErrorStream(true)
            .start();
    Set<String> files =
        Set.copyOf(
            new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                .lines()
                .toList());
    assertTrue(list.waitFor(2, TimeUnit.MINUTES) && list.exitValue() == 0, "cpio lists it");
    for (String expected :
        List.of(
            "init",
            "opt/osdeploy/osdeploy-agent.jar",
            "opt/osdeploy/jre/bin/java",
            "lib64/ld-linux-x86-64.so.2",
            "bin/udhcpc",
            "etc/osdeploy/udhcpc.script")) {
      assertTrue(files.contains(expected), expected + " is in the initramfs");
    }
    for (String driver :
        List.of(
            "e1000e.ko",
            "igb.ko",
            "ixgbe.ko",
            "r8169.ko",
            "tg3.ko",
            "virtio_net.ko",
            "nvme.ko",
            "ahci.ko",
            "usb-storage.ko",
            "virtio_blk.ko",
            "sd_mod.ko")) {
      assertTrue(files.stream().anyMatch(f -> f.endsWith("/" + driver)), driver + " is in it");
    }
  }
}
