package io.osdeploy.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.operator.testing.BootEnvironmentBuild;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.Prerequisites;
import io.osdeploy.operator.testing.QemuMachine;
import io.osdeploy.operator.testing.SiteNetwork;
import io.osdeploy.operator.testing.SiteNode;
import io.osdeploy.operator.testing.TestCluster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * From power-on to a running system, with only what the project ships: the API server and the
 * operator, a distribution point daemon in a network namespace serving the boot environment that
 * {@code boot-environment/build.sh} built, the operator's boot media, and a QEMU machine with a
 * blank disk on the site's LAN (DHCP from Debian's dnsmasq). The machine boots the media as a CD,
 * iPXE asks the daemon for its boot script, boots the boot environment, whose agent writes the test
 * system's whole-disk image, marks it with the machine and the deployment, and restarts; the
 * machine then starts from its own disk, and the deployed system prints the marker. Needs root,
 * {@code ip}, {@code dnsmasq}, QEMU and the boot environment's build tools.
 */
class BareMetalIT {
  private static final String MAC = "52:54:00:b4:00:01";

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
    for (String tool : List.of("ip", "dnsmasq", QemuMachine.BINARY, "cpio", "zstd", "syslinux")) {
      Prerequisites.require(onPath(tool), tool + " (scripts/prereqs.sh installs it)");
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    OperatorTests.deleteAll(
        client,
        operator.getNamespace(),
        BootableMedia.class,
        TaskSequenceDeployment.class,
        DistributionPoint.class,
        OSImage.class);
  }

  @Test
  void aBlankMachineBootsTheMediaAndEndsUpRunningTheDeployedSystem() throws Exception {
    String ns = operator.getNamespace();
    Path bootEnvironment = BootEnvironmentBuild.bootEnvironment();
    Path system = BootEnvironmentBuild.testSystem(dir.resolve("test-system.img"));
    String systemSha = sha256(system);

    SiteNetwork site = new SiteNetwork();
    closing.add(site);
    SiteNetwork.Member dp = site.add("dp", "52:54:00:b4:00:ff");
    SiteNetwork.Member dhcp = site.add("dhcp", "52:54:00:b4:00:fe");
    start(
        dir.resolve("dnsmasq.log"),
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

    // The image's source: a server on the LAN's host side, as a site's file server would be.
    HttpServer source = HttpServer.create(new InetSocketAddress(SiteNetwork.HOST, 0), 0);
    source.createContext(
        "/test-system.img",
        exchange -> {
          exchange.sendResponseHeaders(200, Files.size(system));
          try (OutputStream out = exchange.getResponseBody()) {
            Files.copy(system, out);
          }
        });
    source.start();
    closing.add(() -> source.stop(0));

    String server = SiteNode.url(dp);
    String yaml =
        String.join(
            "\n",
            "apiVersion: osdeploy.io/v1alpha1",
            "kind: OSImage",
            "metadata: {name: test-system}",
            "spec:",
            "  source: {url: 'http://"
                + SiteNetwork.HOST
                + ":"
                + source.getAddress().getPort()
                + "/test-system.img'}",
            "  sha256: " + systemSha,
            "  sizeBytes: " + Files.size(system),
            "---",
            "apiVersion: osdeploy.io/v1alpha1",
            "kind: DistributionPoint",
            "metadata: {name: site-vm}",
            "spec:",
            "  osImages: {names: [test-system]}",
            "---",
            "apiVersion: osdeploy.io/v1alpha1",
            "kind: TaskSequenceDeployment",
            "metadata: {name: bare-metal}",
            "spec:",
            "  taskSequence:",
            "    steps:",
            "      - {name: Apply the system, applyOperatingSystem: {osImage: test-system}}",
            "      - name: Mark the system",
            "        runCommand:",
            "          command: >-",
            "            blockdev --rereadpt ${OSD_DISK} && mkdir -p /mnt/system &&",
            "            mount -t vfat ${OSD_DISK}1 /mnt/system && mkdir -p /mnt/system/osdeploy &&",
            "            echo \"${OSD_MAC} ${OSD_DEPLOYMENT}\" > /mnt/system/osdeploy/marker &&",
            "            umount /mnt/system",
            "      - {name: Restart, restart: {}}",
            "  target:",
            "    machines:",
            "      - {name: desk-01, mac: '" + MAC + "'}",
            "  availability: MediaAndPxe",
            "  purpose: Required",
            "  distributionPoints: [site-vm]",
            "---",
            "apiVersion: osdeploy.io/v1alpha1",
            "kind: BootableMedia",
            "metadata: {name: site-vm-cd}",
            "spec:",
            "  type: Iso",
            "  bootServers: ['" + server + "']");
    for (HasMetadata item :
        client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
      OperatorTests.apply(client, ns, "bare-metal-test", item);
    }

    SiteNode node =
        SiteNode.start(
            client,
            ns,
            "site-vm-daemon",
            dp,
            "node-vm",
            dir,
            List.of("--boot-environment=" + bootEnvironment));
    closing.add(node);
    OperatorTests.awaitCondition(
        client,
        ns,
        TaskSequenceDeployment.class,
        "bare-metal",
        "Ready",
        "True",
        "ContentReady",
        node.daemon()::log);
    await("the deployment published on the node; see the daemon's log")
        .atMost(OperatorTests.TIMEOUT)
        .until(() -> get(server + "/v1/policy?source=media&mac=" + MAC).contains("bare-metal"));
    BootableMedia media =
        OperatorTests.awaitCondition(
            client, ns, BootableMedia.class, "site-vm-cd", "Ready", "True", "Built", () -> "");
    Path iso = dir.resolve("media.iso");
    try (InputStream in =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(media.getStatus().getArtifact().getUrl()))
                    .build(),
                HttpResponse.BodyHandlers.ofInputStream())
            .body()) {
      Files.copy(in, iso);
    }

    Path disk = dir.resolve("disk.raw");
    try (var blank =
        java.nio.channels.FileChannel.open(
            disk,
            java.nio.file.StandardOpenOption.CREATE_NEW,
            java.nio.file.StandardOpenOption.WRITE)) {
      blank.truncate(0);
      blank.write(java.nio.ByteBuffer.allocate(1), 256L * 1024 * 1024 - 1);
    }
    Path console = dir.resolve("desk-01.console");
    List<String> qemu = site.qemuOnTap("m1");
    qemu.addAll(
        List.of(
            "-accel",
            "tcg",
            "-m",
            "1024",
            "-nographic",
            "-device",
            "e1000,netdev=n0,mac=" + MAC,
            "-cdrom",
            iso.toString(),
            "-drive",
            "file=" + disk + ",format=raw,if=virtio",
            // The CD stays first: after the restart the boot script sends the machine to its disk.
            "-boot",
            "order=dc"));
    Process machine = start(console, qemu);

    String marker = "osdeploy-test-system: marker " + MAC + " bare-metal";
    await("the deployed system's marker on the console; see " + console)
        .atMost(Duration.ofMinutes(15))
        .pollInterval(Duration.ofSeconds(2))
        .until(
            () ->
                read(console).contains(marker)
                    || read(console).contains("osdeploy: the deployment FAILED")
                    || !machine.isAlive());
    String seen = read(console);
    assertTrue(seen.contains(marker), "the deployed system printed its marker:\n" + tail(seen));
    assertTrue(seen.contains("osdeploy: boot environment "), "the boot environment ran");
    assertTrue(
        seen.indexOf("osdeploy: the deployment is done") < seen.indexOf(marker),
        "the system started only after the agent was done");
    String again = "osdeploy: bare-metal already succeeded on " + MAC;
    assertTrue(
        seen.indexOf("osdeploy: the deployment is done") < seen.indexOf(again)
            && seen.indexOf(again) < seen.indexOf(marker),
        "booting the media again, the machine was sent to its own disk");
    assertEquals(1, OperatorTests.count(seen, "osdeploy: boot environment "), "deployed once");
    await("the deployment's status counting the machine")
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () -> {
              TaskSequenceDeployment d =
                  client
                      .resources(TaskSequenceDeployment.class)
                      .inNamespace(ns)
                      .withName("bare-metal")
                      .get();
              assertEquals(1, d.getStatus().getMachines().getSucceeded(), d.getStatus().toString());
            });
    System.out.println("--- desk-01's console (last lines) ---\n" + tail(seen));
  }

  private static String tail(String console) {
    List<String> lines = console.lines().toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
  }

  private Process start(Path log, List<String> command) throws IOException {
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
    return p;
  }

  private static String sha256(Path file) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static String get(String url) throws IOException, InterruptedException {
    return HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
        .body();
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
