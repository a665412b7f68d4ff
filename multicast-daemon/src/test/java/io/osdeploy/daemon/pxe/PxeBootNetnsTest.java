package io.osdeploy.daemon.pxe;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.daemon.testing.Prerequisites;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * PXE boot end to end. Two network namespaces and two QEMU machines share one Linux bridge:
 * Debian's dnsmasq hands out addresses with no PXE options at all, and our proxyDHCP responder,
 * TFTP server and a boot endpoint stand-in (in a child JVM) add the boot file. A machine a
 * deployment targets boots with its NIC's iPXE ROM, reaches {@code /v1/boot.ipxe} with its MAC and
 * UUID, chains {@code undionly.kpxe} over TFTP, and asks again from there. A machine nobody targets
 * gets an address from dnsmasq and nothing from us.
 */
@Tag("netns")
class PxeBootNetnsTest {
  private static final String TARGETED = "52:54:00:e2:e0:01";
  private static final String STRANGER = "52:54:00:e2:e0:02";
  private static final String UUID = "8c3e5a1b-2c3d-4e5f-9a8b-7c6d5e4f3a2b";
  private static final String SERVER_IP = "10.77.0.2";
  private static final Path ROM = Path.of("/usr/lib/ipxe/qemu/pxe-e1000.rom");
  private static final Path IPXE_DIR = Path.of("/usr/lib/ipxe");

  private static final String SUFFIX =
      HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt(), 4);
  private static final String BRIDGE = "pxbr" + SUFFIX;
  private static final String NS_DHCP = "pxdhcp" + SUFFIX;
  private static final String NS_DP = "pxdp" + SUFFIX;
  private static final List<Process> processes = new ArrayList<>();
  private static final List<String> links = new ArrayList<>();
  private static final List<String> namespaces = new ArrayList<>();
  private static Path work;

  @BeforeAll
  static void network() throws Exception {
    Prerequisites.require(Prerequisites.root(), "root (network namespaces, taps)");
    for (String tool : List.of("ip", "dnsmasq", "qemu-system-x86_64")) {
      Prerequisites.require(Prerequisites.onPath(tool), tool);
    }
    Prerequisites.require(Files.isRegularFile(ROM), ROM + " (package ipxe-qemu)");
    Prerequisites.require(
        Files.isRegularFile(IPXE_DIR.resolve("undionly.kpxe")), "undionly.kpxe (package ipxe)");
    work = Files.createTempDirectory("pxe-netns");

    run("ip", "link", "add", BRIDGE, "type", "bridge");
    links.add(BRIDGE);
    run("ip", "link", "set", BRIDGE, "up");
    attach(NS_DHCP, "10.77.0.1/24", "pxd" + SUFFIX);
    attach(NS_DP, SERVER_IP + "/24", "pxs" + SUFFIX);
    // A broadcast reply (255.255.255.255) needs a route out of the namespace.
    run("ip", "netns", "exec", NS_DP, "ip", "route", "add", "default", "dev", "eth0");
  }

  /** A namespace whose eth0 is a veth plugged into the bridge. */
  private static void attach(String ns, String cidr, String hostEnd) throws Exception {
    run("ip", "netns", "add", ns);
    namespaces.add(ns);
    run("ip", "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", ns);
    links.add(hostEnd);
    run("ip", "link", "set", hostEnd, "master", BRIDGE, "up");
    run("ip", "netns", "exec", ns, "ip", "addr", "add", cidr, "dev", "eth0");
    run("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up");
    run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
  }

  @AfterAll
  static void cleanUp() {
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (String ns : namespaces) {
      quietly("ip", "netns", "del", ns);
    }
    for (String link : links) {
      quietly("ip", "link", "del", link);
    }
  }

  @Test
  void targetedMachineBootsThroughProxyDhcpAndStrangerGetsNoAnswer() throws Exception {
    Path dhcpLog = work.resolve("dnsmasq.log");
    start(
        dhcpLog,
        "ip",
        "netns",
        "exec",
        NS_DHCP,
        "dnsmasq",
        "--no-daemon",
        "--port=0",
        "--conf-file=/dev/null",
        "--user=root",
        "--pid-file",
        "--dhcp-leasefile=" + work.resolve("leases"),
        "--interface=eth0",
        "--bind-interfaces",
        "--dhcp-range=10.77.0.100,10.77.0.150,255.255.255.0,1h",
        "--log-dhcp");
    Path serverLog = work.resolve("server.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    start(
        serverLog,
        "ip",
        "netns",
        "exec",
        NS_DP,
        java,
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
        "-cp",
        System.getProperty("java.class.path"),
        PxeNetnsServer.class.getName(),
        SERVER_IP,
        TARGETED,
        IPXE_DIR.toString());
    await("the server's READY line in " + serverLog)
        .atMost(Duration.ofSeconds(60))
        .until(() -> read(serverLog).contains("READY"));

    Path targetedConsole = work.resolve("targeted.console");
    Path strangerConsole = work.resolve("stranger.console");
    machine("a", TARGETED, targetedConsole);
    machine("b", STRANGER, strangerConsole);

    await("the targeted machine's first boot request; see " + serverLog)
        .atMost(Duration.ofMinutes(5))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> read(serverLog).contains("BOOT mac=" + TARGETED.replace(':', '-')));
    // ... and after chaining undionly.kpxe over TFTP, iPXE from TFTP asks the same endpoint again.
    await("a second boot request via undionly.kpxe; see " + serverLog + " and " + targetedConsole)
        .atMost(Duration.ofMinutes(5))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                read(serverLog)
                    .contains("BOOT mac=" + TARGETED.replace(':', '-') + " uuid=" + UUID + " n=2"));
    await("the stranger giving up on network boot; see " + strangerConsole)
        .atMost(Duration.ofMinutes(5))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> read(strangerConsole).contains("No more network devices"));

    String server = read(serverLog);
    System.out.println("--- server (child JVM) log ---\n" + server);
    assertTrue(
        server.contains("BOOT mac=" + TARGETED.replace(':', '-') + " uuid=" + UUID + " n=1"),
        "boot request carries the MAC and the SMBIOS UUID");
    assertTrue(
        server.contains("OFFER to mac=" + TARGETED + " uuid=" + UUID + " arch=0 ipxe=true"),
        "the proxy offer went to the NIC's iPXE, which sent the same UUID in option 97");
    assertTrue(server.contains("tftpCompleted=1"), "undionly.kpxe went over TFTP");
    assertTrue(
        server.contains("no answer for mac=" + STRANGER), "the stranger's refusal is logged");
    assertFalse(
        server.contains("BOOT mac=" + STRANGER.replace(':', '-')), "the stranger never boots");
    String stranger = read(strangerConsole);
    assertTrue(stranger.contains("10.77.0.1"), "dnsmasq gave the stranger an address");
    await("the second boot script running; see " + targetedConsole)
        .atMost(Duration.ofMinutes(1))
        .until(() -> read(targetedConsole).contains("osdeploy-e2e-booted"));
    assertTrue(read(dhcpLog).contains("DHCPACK"), "dnsmasq handed out the addresses");
    assertEquals(-1, read(dhcpLog).indexOf("undionly"), "dnsmasq offered no boot file");
  }

  private static void machine(String name, String mac, Path console) throws IOException, Exception {
    String tap = "pxt" + SUFFIX + name;
    run("ip", "tuntap", "add", "dev", tap, "mode", "tap");
    links.add(tap);
    run("ip", "link", "set", tap, "master", BRIDGE, "up");
    List<String> command =
        new ArrayList<>(
            List.of(
                "qemu-system-x86_64",
                "-accel",
                "tcg",
                "-m",
                "256",
                "-nographic",
                "-boot",
                "n",
                "-no-reboot",
                "-netdev",
                "tap,id=n0,ifname=" + tap + ",script=no,downscript=no",
                "-device",
                "e1000,netdev=n0,mac=" + mac + ",romfile=" + ROM));
    if (mac.equals(TARGETED)) {
      command.addAll(List.of("-uuid", UUID));
    }
    start(console, command.toArray(String[]::new));
  }

  private static void start(Path log, String... command) throws IOException {
    processes.add(
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.PIPE)
            .start());
  }

  private static String read(Path file) throws IOException {
    return Files.exists(file)
        ? Files.readString(file, java.nio.charset.StandardCharsets.ISO_8859_1)
        : "";
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
    }
  }

  private static void quietly(String... command) {
    try {
      new ProcessBuilder(command).redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
    } catch (IOException | InterruptedException e) {
      // Best effort: the next run uses new names.
    }
  }
}
