package io.osdeploy.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.daemon.testing.TestContentServer;
import io.osdeploy.operator.local.MachinePolicy;
import io.osdeploy.operator.testing.DaemonProcess;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.Prerequisites;
import io.osdeploy.operator.testing.SiteNetwork;
import io.osdeploy.operator.testing.SiteNode;
import io.osdeploy.operator.testing.TestCluster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * PXE through the real distribution-point daemon: the API server and the operator, the daemon jar
 * in a network namespace with {@code pxe.enabled}, Debian's dnsmasq handing out addresses (no PXE
 * options) in another, and two QEMU machines PXE-booting with their NIC's iPXE ROM on the same
 * bridge. The machine a deployment targets (by its SMBIOS UUID) gets the boot file from our
 * proxyDHCP, reaches {@code /v1/boot.ipxe} with its MAC, whose script loads {@code undionly.kpxe}
 * over our TFTP (the test's boot environment) and from there asks the boot endpoint again. The
 * other machine gets an address from dnsmasq and nothing from us; both are counted in the daemon's
 * metrics. Needs root, {@code ip}, {@code dnsmasq} and QEMU.
 */
class PxeBootIT {
  private static final String TARGETED = "52:54:00:e2:e1:01";
  private static final String STRANGER = "52:54:00:e2:e1:02";
  private static final String UUID = "8c3e5a1b-2c3d-4e5f-9a8b-7c6d5e4f3a2b";
  private static final Path ROM = Path.of("/usr/lib/ipxe/qemu/pxe-e1000.rom");

  @RegisterExtension
  static LocallyRunOperatorExtension operator = OperatorTests.operator(TestCluster.newClient());

  private final KubernetesClient client = TestCluster.client();
  private final List<AutoCloseable> closing = new ArrayList<>();

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  @BeforeEach
  void prerequisites() {
    Prerequisites.require(
        "root".equals(System.getProperty("user.name")), "root (network namespaces, taps)");
    for (String tool : List.of("ip", "dnsmasq", "qemu-system-x86_64")) {
      Prerequisites.require(onPath(tool), tool + " (scripts/prereqs.sh installs it)");
    }
    Prerequisites.require(Files.isRegularFile(ROM), ROM + " (package ipxe-qemu)");
    Prerequisites.require(
        Files.isRegularFile(DaemonProcess.JAR), "the daemon jar (build multicast-daemon first)");
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    OperatorTests.deleteAll(
        client, operator.getNamespace(), TaskSequenceDeployment.class, DistributionPoint.class);
  }

  @Test
  void aTargetedMachineBootsThroughTheDaemonAndAStrangerGetsNoAnswer() throws Exception {
    String ns = operator.getNamespace();
    SiteNetwork site = new SiteNetwork();
    closing.add(site);
    SiteNetwork.Member dp = site.add("dp", "52:54:00:e2:e1:ff");
    dp.defaultRouteOnLan();
    SiteNetwork.Member dhcp = site.add("dhcp", "52:54:00:e2:e1:fe");

    // The site's own DHCP server: addresses only.
    Path dhcpLog = dir.resolve("dnsmasq.log");
    start(
        dhcpLog,
        dhcp.exec(
            List.of(
                "dnsmasq",
                "--no-daemon",
                "--port=0",
                "--conf-file=/dev/null",
                "--user=root",
                "--pid-file",
                "--dhcp-leasefile=" + dir.resolve("leases"),
                "--interface=eth0",
                "--bind-interfaces",
                "--dhcp-range=" + SiteNetwork.SUBNET + "100," + SiteNetwork.SUBNET + "150,1h",
                "--log-dhcp")));

    // The distribution point's own boot environment comes from a server on the LAN that counts
    // the initrd's fetches: the node pulls it once and serves its verified copy.
    AtomicInteger initrdFetches = new AtomicInteger();
    byte[] initrd = "not a real initrd\n".getBytes(StandardCharsets.US_ASCII);
    HttpServer boot = HttpServer.create(new InetSocketAddress(SiteNetwork.HOST, 0), 0);
    boot.createContext(
        "/initrd.img",
        exchange -> {
          initrdFetches.incrementAndGet();
          exchange.sendResponseHeaders(200, initrd.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(initrd);
          }
        });
    // The "kernel" is an iPXE script that loads undionly.kpxe from the daemon's TFTP server.
    byte[] kernel =
        ("#!ipxe\necho boot environment stand-in\nchain tftp://"
                + dp.address()
                + "/undionly.kpxe\n")
            .getBytes(StandardCharsets.US_ASCII);
    boot.createContext(
        "/vmlinuz",
        exchange -> {
          exchange.sendResponseHeaders(200, kernel.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(kernel);
          }
        });
    boot.start();
    closing.add(() -> boot.stop(0));
    String bootBase = "http://" + SiteNetwork.HOST + ":" + boot.getAddress().getPort();

    String yaml =
        String.join(
            "\n",
            "apiVersion: osdeploy.io/v1alpha1",
            "kind: DistributionPoint",
            "metadata: {name: site-pxe}",
            "spec:",
            "  pxe: {enabled: true}",
            "  bootEnvironment:",
            "    kernelUrl: " + bootBase + "/vmlinuz",
            "    kernelSha256: " + TestContentServer.sha256(kernel),
            "    initrdUrl: " + bootBase + "/initrd.img",
            "    initrdSha256: " + TestContentServer.sha256(initrd),
            "---",
            "apiVersion: osdeploy.io/v1alpha1",
            "kind: TaskSequenceDeployment",
            "metadata: {name: pxe-rollout}",
            "spec:",
            "  taskSequence:",
            "    steps:",
            "      - {name: Say hello, runCommand: {command: echo hello}}",
            "  target:",
            "    machines:",
            // By SMBIOS UUID only: the PXE ROM sends it in DHCP option 97, iPXE in its request.
            "      - {name: desk-01, smbiosUuid: " + UUID + "}",
            "  availability: MediaAndPxe",
            "  purpose: Required",
            "  distributionPoints: [site-pxe]");
    for (HasMetadata item :
        client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
      OperatorTests.apply(client, ns, "pxe-test", item);
    }

    SiteNode node = SiteNode.start(client, ns, "site-pxe-daemon", dp, "node-pxe", dir);
    closing.add(node);
    DaemonProcess daemon = node.daemon();
    OperatorTests.awaitCondition(
        client,
        ns,
        TaskSequenceDeployment.class,
        "pxe-rollout",
        "Ready",
        "True",
        "ContentReady",
        daemon::log);
    String dpUrl = SiteNode.url(dp);
    await("the daemon's PXE services; see its log")
        .atMost(OperatorTests.TIMEOUT)
        .until(() -> daemon.log().contains("PXE on:"));
    // The deployment is published on the node before a machine asks.
    await()
        .atMost(OperatorTests.TIMEOUT)
        .until(
            () ->
                MachinePolicy.fetch(HttpClient.newHttpClient(), dpUrl, "source=pxe&uuid=" + UUID)
                    .contains("pxe-rollout"));

    Path targeted = dir.resolve("targeted.console");
    Path stranger = dir.resolve("stranger.console");
    start(targeted, machine(site, "a", TARGETED));
    start(stranger, machine(site, "b", STRANGER));

    String greeting = "osdeploy: 1 deployment for " + TARGETED;
    await("the boot script twice, the second time from undionly.kpxe; see " + targeted)
        .atMost(Duration.ofMinutes(6))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                OperatorTests.count(read(targeted), greeting) >= 2
                    && OperatorTests.count(read(targeted), "/boot/initrd.img... ok") >= 2);
    assertEquals(1, initrdFetches.get(), "the node pulled the initrd once and served it twice");
    assertTrue(
        read(targeted).contains("http://" + dp.address() + ":9080/boot/vmlinuz"),
        "the machine got the kernel from the node");
    await("the stranger giving up on network boot; see " + stranger)
        .atMost(Duration.ofMinutes(6))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> read(stranger).contains("No more network devices"));

    String metrics = get(dpUrl + "/metrics");
    System.out.println("--- daemon metrics (PXE) ---");
    metrics
        .lines()
        .filter(l -> l.contains("proxydhcp") || l.contains("tftp"))
        .forEach(System.out::println);
    assertTrue(metric(metrics, "osdeploy_proxydhcp_offers_total") >= 2, metrics);
    assertTrue(metric(metrics, "osdeploy_tftp_transfers_completed_total") >= 1, metrics);
    String log = daemon.log();
    assertTrue(log.contains("no answer for mac=" + STRANGER), "the stranger's refusal is logged");
    assertFalse(read(stranger).contains("osdeploy:"), "the stranger never got a boot script");
    assertTrue(read(stranger).contains(SiteNetwork.SUBNET), "dnsmasq gave the stranger an address");
    String leases = read(dhcpLog);
    assertTrue(leases.contains("DHCPACK"), "dnsmasq handed out the addresses");
    assertEquals(-1, leases.indexOf("undionly"), "dnsmasq offered no boot file");
  }

  private static List<String> machine(SiteNetwork site, String name, String mac)
      throws IOException, InterruptedException {
    List<String> command = site.qemuOnTap(name);
    command.addAll(
        List.of(
            "-accel",
            "tcg",
            "-m",
            "256",
            "-nographic",
            "-boot",
            "n",
            "-no-reboot",
            "-device",
            "e1000,netdev=n0,mac=" + mac + ",romfile=" + ROM));
    if (mac.equals(TARGETED)) {
      command.addAll(List.of("-uuid", UUID));
    }
    return command;
  }

  private void start(Path log, List<String> command) throws IOException {
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.PIPE)
            .start();
    closing.add(
        () -> {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
          p.waitFor(10, TimeUnit.SECONDS);
        });
  }

  private static String get(String url) throws IOException, InterruptedException {
    return HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static long metric(String text, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*})? (\\d+)").matcher(text);
    long sum = 0;
    while (m.find()) {
      sum += Long.parseLong(m.group(2));
    }
    return sum;
  }

  private static String read(Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file, StandardCharsets.ISO_8859_1) : "";
  }

  private static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return Files.isExecutable(Path.of("/usr/sbin", tool))
        || Files.isExecutable(Path.of("/sbin", tool));
  }
}
