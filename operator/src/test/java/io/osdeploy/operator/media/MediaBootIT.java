package io.osdeploy.operator.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.auth.MediaPassword;
import io.osdeploy.operator.media.BootServerStub.BootRequest;
import io.osdeploy.operator.testing.Prerequisites;
import io.osdeploy.operator.testing.QemuMachine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Boots built media in QEMU (BIOS, SeaBIOS) and watches what the media asks the boot servers: from
 * a CD, from a raw disk (the USB case), and with a password typed at the prompt.
 */
class MediaBootIT {
  /** Emulated without KVM on a shared machine a boot takes 10 to 20 s; leave room. */
  private static final long BOOT_TIMEOUT_SECONDS = 120;

  @TempDir Path dir;

  @BeforeAll
  static void toolsInstalled() {
    List<String> missing = BootFiles.debian().missing();
    Prerequisites.require(missing.isEmpty(), "boot media tools: " + missing);
    Prerequisites.require(
        QemuMachine.installed(), QemuMachine.BINARY + " (Debian package qemu-system-x86)");
  }

  @Test
  void cdAsksTheBootServersInOrderNamingMachineAndMedia() throws Exception {
    try (BootServerStub first = BootServerStub.refusing();
        BootServerStub second = BootServerStub.answering()) {
      MediaInputs inputs =
          MediaInputs.of("lab", "usb-key", List.of(first.guestUrl(), second.guestUrl()))
              .withDeployment("win11-refresh");
      Artifact media = new MediaBuilder(BootFiles.debian(), dir.resolve("out")).build(inputs);
      try (QemuMachine machine = QemuMachine.bootCdrom(media.path(), dir)) {
        BootRequest asked = first.next(BOOT_TIMEOUT_SECONDS);
        assertNotNull(asked, "the first boot server was never asked:\n" + machine.console());
        assertMediaRequest(asked);
        BootRequest answered = second.next(30);
        assertNotNull(answered, "no fallback to the second server:\n" + machine.console());
        assertMediaRequest(answered);
        assertEquals("win11-refresh", answered.query().get("deployment"));
        assertTrue(
            machine.awaitConsole("osdeploy-test-ok", Duration.ofSeconds(30)),
            "the served script did not run:\n" + machine.console());
      }
    }
  }

  @Test
  void rawDiskBootsThroughTheHybridMbr() throws Exception {
    try (BootServerStub server = BootServerStub.answering()) {
      MediaInputs inputs = MediaInputs.of("lab", "usb-key", List.of(server.guestUrl()));
      Artifact media = new MediaBuilder(BootFiles.debian(), dir.resolve("out")).build(inputs);
      try (QemuMachine machine = QemuMachine.bootDisk(media.path(), dir)) {
        BootRequest asked = server.next(BOOT_TIMEOUT_SECONDS);
        assertNotNull(asked, "no boot request from the disk boot:\n" + machine.console());
        assertMediaRequest(asked);
        assertNull(asked.query().get("deployment"), "no pinned deployment");
      }
    }
  }

  @Test
  void passwordTypedAtBootReachesTheServerByBasicAuthOnly() throws Exception {
    String hash = MediaPassword.hash("s3cret".toCharArray());
    try (BootServerStub server = BootServerStub.challenging()) {
      MediaInputs inputs =
          MediaInputs.of("lab", "usb-key", List.of(server.guestUrl())).withPasswordHash(hash);
      Artifact media = new MediaBuilder(BootFiles.debian(), dir.resolve("out")).build(inputs);
      try (QemuMachine machine = QemuMachine.bootCdrom(media.path(), dir)) {
        assertTrue(
            machine.awaitConsole("Password:", Duration.ofSeconds(BOOT_TIMEOUT_SECONDS)),
            "no password prompt:\n" + machine.console());
        // The user name is filled in; Enter moves to the password field.
        machine.type("ret", "s", "3", "c", "r", "e", "t", "ret");
        BootRequest challenged = server.next(30);
        assertNotNull(challenged, "no boot request after the password:\n" + machine.console());
        assertNull(challenged.basicPassword(), "credentials only after the challenge");
        BootRequest authenticated = server.next(30);
        assertNotNull(authenticated, "no retry with credentials:\n" + machine.console());
        assertMediaRequest(authenticated);
        assertEquals("s3cret", authenticated.basicPassword());
        assertTrue(MediaPassword.verify(authenticated.basicPassword().toCharArray(), hash));
        assertTrue(
            authenticated.query().keySet().stream().noneMatch(k -> k.contains("pass")),
            "password kept out of the URL: " + authenticated.query());
      }
    }
  }

  @Test
  void withNoBootServerItHandsTheMachineBackToTheFirmware() throws Exception {
    try (BootServerStub server = BootServerStub.refusing()) {
      MediaInputs inputs = MediaInputs.of("lab", "usb-key", List.of(server.guestUrl()));
      Artifact media = new MediaBuilder(BootFiles.debian(), dir.resolve("out")).build(inputs);
      try (QemuMachine machine = QemuMachine.bootCdrom(media.path(), dir)) {
        assertNotNull(server.next(BOOT_TIMEOUT_SECONDS), "no boot request:\n" + machine.console());
        String gaveUp = "osdeploy: no boot server answered";
        assertTrue(
            machine.awaitConsole(gaveUp, Duration.ofSeconds(30)),
            "no message:\n" + machine.console());
        // After the retry prompt times out, SeaBIOS goes on to its next boot device.
        assertTrue(
            machine.awaitConsole(
                gaveUp,
                "Booting from",
                Duration.ofSeconds(PointerScript.RETRY_PROMPT_SECONDS + 30)),
            "the firmware did not get the machine back:\n" + machine.console());
      }
    }
  }

  private static void assertMediaRequest(BootRequest request) {
    assertEquals(QemuMachine.MAC, request.query().get("mac"), request.query().toString());
    assertEquals("media", request.query().get("source"));
    assertEquals("lab/usb-key", request.query().get("media"));
    assertNotNull(request.query().get("uuid"));
  }
}
