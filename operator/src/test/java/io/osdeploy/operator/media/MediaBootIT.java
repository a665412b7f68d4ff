package io.osdeploy.operator.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.auth.MediaPassword;
import io.osdeploy.operator.media.BootServerStub.BootRequest;
import io.osdeploy.operator.testing.DaemonProcess;
import io.osdeploy.operator.testing.Prerequisites;
import io.osdeploy.operator.testing.QemuMachine;
import io.osdeploy.operator.testing.TestCa;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Boots built media in QEMU and watches what the media asks the boot servers: under BIOS (SeaBIOS)
 * from a CD, from a raw disk (the USB case) and with a password typed at the prompt; under UEFI
 * (OVMF) from both, over HTTPS to a server of the pinned CA and refusing one of another CA.
 */
class MediaBootIT {
  /** Emulated without KVM on a shared machine a boot takes 10 to 20 s; leave room. */
  private static final long BOOT_TIMEOUT_SECONDS = 300;

  @TempDir Path dir;

  @BeforeAll
  static void toolsInstalled() {
    List<String> missing = BootFiles.debian().missing();
    Prerequisites.require(missing.isEmpty(), "boot media tools: " + missing);
    Prerequisites.require(
        QemuMachine.installed(), QemuMachine.BINARY + " (Debian package qemu-system-x86)");
    Prerequisites.require(QemuMachine.uefiInstalled(), QemuMachine.UEFI_CODE + " (package ovmf)");
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
    passwordReachesTheServerByBasicAuthOnly(QemuMachine::bootCdrom);
  }

  @Test
  void underUefiTooThePasswordIsAskedForAndSentByBasicAuthOnly() throws Exception {
    passwordReachesTheServerByBasicAuthOnly(QemuMachine::bootDiskUefi);
  }

  /** How a test starts the machine from the media: BIOS or UEFI, CD or disk. */
  private interface Boot {
    QemuMachine start(Path image, Path workDir) throws java.io.IOException;
  }

  private void passwordReachesTheServerByBasicAuthOnly(Boot boot) throws Exception {
    String hash = MediaPassword.hash("s3cret".toCharArray());
    try (BootServerStub server = BootServerStub.challenging()) {
      MediaInputs inputs =
          MediaInputs.of("lab", "usb-key", List.of(server.guestUrl())).withPasswordHash(hash);
      Artifact media = new MediaBuilder(BootFiles.debian(), dir.resolve("out")).build(inputs);
      try (QemuMachine machine = boot.start(media.path(), dir)) {
        assertTrue(
            machine.awaitConsole(
                PointerScript.PASSWORD_NOTICE,
                "Password",
                Duration.ofSeconds(BOOT_TIMEOUT_SECONDS)),
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

  @Test
  void pinnedMediaUnderUefiFetchTheirScriptOverHttpsFromAServerOfTheirCa() throws Exception {
    TestCa ca = TestCa.create("osdeploy test CA");
    try (BootServerStub server =
        BootServerStub.answeringOverHttps(ca.serverContext(BootServerStub.GUEST_HOST))) {
      MediaInputs inputs =
          MediaInputs.of("lab", "usb-key", List.of(server.guestUrl()))
              .withDeployment("win11-refresh")
              .withCaFingerprint(ca.fingerprint());
      Artifact media = new MediaBuilder(BootFiles.debian(), dir.resolve("out")).build(inputs);
      try (QemuMachine machine = QemuMachine.bootCdromUefi(media.path(), dir)) {
        BootRequest asked = server.next(BOOT_TIMEOUT_SECONDS);
        assertNotNull(asked, "no boot request over HTTPS:\n" + machine.console());
        assertMediaRequest(asked);
        assertEquals("win11-refresh", asked.query().get("deployment"));
        assertTrue(
            machine.awaitConsole("osdeploy-test-ok", Duration.ofSeconds(30)),
            "the served script did not run:\n" + machine.console());
      }
    }
  }

  @Test
  void pinnedMediaGetTheBootScriptOfADistributionPointDaemonOverHttps() throws Exception {
    TestCa ca = TestCa.create("osdeploy site CA");
    Path tls = ca.writeSecret(dir.resolve("tls"), BootServerStub.GUEST_HOST);
    int httpPort = freePort();
    int httpsPort = freePort();
    Path config = dir.resolve("daemon.json");
    Files.writeString(
        config,
        """
        {"namespace": "lab", "distributionPoint": "berlin", "generation": 1,
         "contentPath": "%s", "httpPort": %d, "httpsPort": %d, "tlsDirectory": "%s",
         "images": []}
        """
            .formatted(dir.resolve("content"), httpPort, httpsPort, tls));
    try (DaemonProcess daemon = DaemonProcess.startFromFile("qemu-node", config, "127.0.0.1")) {
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> daemon.log().contains("HTTPS at ") || !daemon.isAlive());
      assertTrue(daemon.isAlive(), daemon.log());
      // The guest reaches the host's loopback as 10.0.2.2; the certificate names that address.
      String server = "https://" + BootServerStub.GUEST_HOST + ":" + httpsPort;
      MediaInputs inputs =
          MediaInputs.of("lab", "usb-key", List.of(server)).withCaFingerprint(ca.fingerprint());
      Artifact media = new MediaBuilder(BootFiles.debian(), dir.resolve("out")).build(inputs);
      try (QemuMachine machine = QemuMachine.bootCdromUefi(media.path(), dir)) {
        assertTrue(
            machine.awaitConsole(
                "osdeploy: no deployment is offered to " + QemuMachine.MAC,
                Duration.ofSeconds(BOOT_TIMEOUT_SECONDS)),
            "the daemon's script did not run:\n" + machine.console() + "\n" + daemon.log());
      }
    }
  }

  private static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Test
  void pinnedMediaFromAUsbDriveRefuseAServerOfAnotherCa() throws Exception {
    TestCa pinned = TestCa.create("osdeploy test CA");
    TestCa other = TestCa.create("someone else's CA");
    try (BootServerStub server =
        BootServerStub.answeringOverHttps(other.serverContext(BootServerStub.GUEST_HOST))) {
      MediaInputs inputs =
          MediaInputs.of("lab", "usb-key", List.of(server.guestUrl()))
              .withCaFingerprint(pinned.fingerprint());
      Artifact media = new MediaBuilder(BootFiles.debian(), dir.resolve("out")).build(inputs);
      try (QemuMachine machine = QemuMachine.bootDiskUefi(media.path(), dir)) {
        assertTrue(
            machine.awaitConsole(
                "osdeploy: no boot server answered", Duration.ofSeconds(BOOT_TIMEOUT_SECONDS)),
            "the media did not give up on the server:\n" + machine.console());
        assertTrue(
            machine.console().contains("Permission denied"),
            "refused for the certificate:\n" + machine.console());
        assertNull(server.next(0), "no request got past the TLS handshake");
      }
    }
  }

  @Test
  void unpinnedMediaUnderUefiAskOverHttp() throws Exception {
    try (BootServerStub server = BootServerStub.answering()) {
      MediaInputs inputs = MediaInputs.of("lab", "usb-key", List.of(server.guestUrl()));
      Artifact media = new MediaBuilder(BootFiles.debian(), dir.resolve("out")).build(inputs);
      try (QemuMachine machine = QemuMachine.bootDiskUefi(media.path(), dir)) {
        BootRequest asked = server.next(BOOT_TIMEOUT_SECONDS);
        assertNotNull(asked, "no boot request from the UEFI disk boot:\n" + machine.console());
        assertMediaRequest(asked);
      }
    }
  }

  @Test
  void pinnedMediaUnderBiosSayTheyStartOnlyUnderUefi() throws Exception {
    MediaInputs inputs =
        MediaInputs.of("lab", "usb-key", List.of("https://10.0.2.2:1"))
            .withCaFingerprint("ab".repeat(32));
    Artifact media = new MediaBuilder(BootFiles.debian(), dir.resolve("out")).build(inputs);
    try (QemuMachine machine = QemuMachine.bootCdrom(media.path(), dir)) {
      assertTrue(
          machine.awaitConsole(
              MediaBuilder.UEFI_ONLY_MESSAGE, Duration.ofSeconds(BOOT_TIMEOUT_SECONDS)),
          "no message under BIOS:\n" + machine.consoleBytes());
      assertTrue(
          !machine.console().contains("osdeploy: asking"),
          "no iPXE asked a server under BIOS:\n" + machine.console());
    }
  }

  private static void assertMediaRequest(BootRequest request) {
    assertEquals(QemuMachine.MAC, request.query().get("mac"), request.query().toString());
    assertEquals("media", request.query().get("source"));
    assertEquals("lab/usb-key", request.query().get("media"));
    assertNotNull(request.query().get("uuid"));
  }
}
