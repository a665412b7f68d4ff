package io.osdeploy.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.ImageCapture;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OSImageSpec;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.digest.Sha256;
import io.osdeploy.operator.local.MachinePolicy;
import io.osdeploy.operator.testing.BareMetalSite;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.SiteNode;
import io.osdeploy.operator.testing.TestCluster;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * system's whole-disk image, marks it with the machine and the deployment, captures its disk to the
 * distribution point, and restarts; the machine then starts from its own disk, and the deployed
 * system prints the marker. The capture, published as an OSImage, is deployed to a second blank
 * machine, which starts the first one's system (its marker). Needs root, {@code ip}, {@code
 * dnsmasq}, QEMU and the boot environment's build tools.
 */
class BareMetalIT {
  private static final String MAC = "52:54:00:b4:00:01";

  @RegisterExtension
  static LocallyRunOperatorExtension operator = OperatorTests.operator(TestCluster.newClient());

  private final KubernetesClient client = TestCluster.client();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private SiteNode node;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  /**
   * Writes "MAC deployment" into the deployed system's EFI system partition, which it prints at
   * boot: the agent had the kernel read the partition table the whole-disk image brought.
   */
  static final String MARK_COMMAND =
      "mkdir -p /mnt/system && mount -t vfat ${OSD_DISK}1"
          + " /mnt/system && mkdir -p /mnt/system/osdeploy && echo \"${OSD_MAC} ${OSD_DEPLOYMENT}\""
          + " > /mnt/system/osdeploy/marker && umount /mnt/system";

  @BeforeEach
  void prerequisites() {
    BareMetalSite.requirePrerequisites();
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

  /** The site with the test system, a distribution point, the deployment and its media. */
  private BareMetalSite site(String... extraTargets) throws Exception {
    return site(List.of(), extraTargets);
  }

  /** The site, with {@code extraSteps} (YAML lines) before the deployment's restart. */
  private BareMetalSite site(List<String> extraSteps, String... extraTargets) throws Exception {
    String ns = operator.getNamespace();
    BareMetalSite site = new BareMetalSite(client, ns, dir);
    closing.add(site);
    String server = SiteNode.url(site.dp());
    StringBuilder targets = new StringBuilder("      - {name: desk-01, mac: '" + MAC + "'}");
    for (int i = 0; i < extraTargets.length; i++) {
      targets.append("\n      - {name: desk-0").append(i + 2).append(", mac: '");
      targets.append(extraTargets[i]).append("'}");
    }
    site.apply(
        site.testSystemImage("test-system", "format: Disk")
            + String.join(
                "\n",
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
                "            " + MARK_COMMAND,
                String.join("\n", extraSteps),
                "      - {name: Restart, restart: {}}",
                "  target:",
                "    machines:",
                targets.toString(),
                "  availability: MediaAndPxe",
                "  purpose: Required",
                "  distributionPoints: [site-vm]",
                "---",
                "apiVersion: osdeploy.io/v1alpha1",
                "kind: BootableMedia",
                "metadata: {name: site-vm-cd}",
                "spec:",
                "  type: Iso",
                "  bootServers: ['" + server + "']"));
    node = site.startNode("site-vm-daemon", "node-vm");
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
        .until(
            () ->
                MachinePolicy.fetch(HttpClient.newHttpClient(), server, "source=media&mac=" + MAC)
                    .contains("bare-metal"));
    return site;
  }

  /** Machine {@code name} with {@code disk}, booting {@code iso} as its first boot device. */
  private static BareMetalSite.Machine fromCd(
      BareMetalSite site, String name, String mac, Path iso, Path disk, String diskOptions)
      throws Exception {
    return site.machine(
        name,
        mac,
        List.of(),
        List.of(
            "-cdrom",
            iso.toString(),
            "-drive",
            "file=" + disk + ",format=raw,if=virtio" + diskOptions,
            // The CD stays first: after the restart the boot script sends the machine to its
            // disk.
            "-boot",
            "order=dc"));
  }

  private TaskSequenceDeployment deployment() {
    return client
        .resources(TaskSequenceDeployment.class)
        .inNamespace(operator.getNamespace())
        .withName("bare-metal")
        .get();
  }

  @Test
  void aBlankMachineBootsTheMediaAndEndsUpRunningTheDeployedSystemWhichIsCapturedAndDeployedAgain()
      throws Exception {
    // Deployed and marked, then its disk captured from the boot environment before it restarts.
    BareMetalSite site =
        site(List.of("      - {name: Capture the disk, captureImage: {name: reference}}"));
    Path iso = site.media("site-vm-cd");

    Path disk = site.blankDisk("desk-01");
    BareMetalSite.Machine machine = fromCd(site, "desk-01", MAC, iso, disk, "");

    String marker = "osdeploy-test-system: marker " + MAC + " bare-metal";
    BareMetalSite.awaitConsole(machine, marker, Duration.ofMinutes(15));
    String seen = machine.read();
    assertTrue(seen.contains("osdeploy: boot environment "), "the boot environment ran");
    // What a technician sees: the deployment, the step, the image's progress.
    assertTrue(seen.contains("bare-metal: step 1 of 4: Apply the system"), machine.tail());
    assertTrue(
        seen.contains("backup GPT moved to the disk's end"),
        "the 40 MiB image's GPT now spans the 256 MiB disk:\n" + machine.tail());
    assertTrue(
        java.util.regex.Pattern.compile(
                "bare-metal: test-system \\[[#-]{20}\\] +\\d+% [0-9.]+/40\\.0 MiB")
            .matcher(seen)
            .find(),
        "a progress line for the image:\n" + machine.tail());
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
            () ->
                assertEquals(
                    1,
                    deployment().getStatus().getMachines().getSucceeded(),
                    deployment().getStatus().toString()));
    assertTrue(seen.contains("captured /dev/vda (268435456 bytes"), machine.tail());
    System.out.println(machine.tail());

    // The capture, published and deployed to a blank machine, starts the same system there.
    ImageCapture capture =
        await("the capture in the deployment's status")
            .atMost(OperatorTests.TIMEOUT)
            .until(
                () -> deployment().getStatus().getCaptures(),
                captures -> captures != null && captures.size() == 1)
            .get(0);
    assertEquals("reference", capture.getName());
    assertEquals(MAC, capture.getMac());
    assertEquals(OSImageSpec.Format.Disk, capture.getFormat());
    assertEquals(256L << 20, capture.getUncompressed().getSizeBytes(), "the whole disk");
    assertTrue(
        capture.getSizeBytes() < Files.size(site.system()),
        "the disk's empty space costs nothing: " + capture.getSizeBytes() + " bytes");
    assertEquals(capture.getSha256(), Sha256.of(download(capture.getUrl(), dir.resolve("got"))));

    // What a site commits: the capture as an OSImage, the distribution point holding it, and a
    // deployment of it to a blank machine.
    String blank = "52:54:00:b4:00:02";
    site.apply(
        String.join(
            "\n",
            "apiVersion: osdeploy.io/v1alpha1",
            "kind: OSImage",
            "metadata: {name: reference-2026}",
            "spec:",
            "  source: {url: '" + capture.getUrl() + "'}",
            "  sha256: " + capture.getSha256(),
            "  sizeBytes: " + capture.getSizeBytes(),
            "  format: Disk",
            "  compression: Zstd",
            "  uncompressed:",
            "    sha256: " + capture.getUncompressed().getSha256(),
            "    sizeBytes: " + capture.getUncompressed().getSizeBytes(),
            "---",
            "apiVersion: osdeploy.io/v1alpha1",
            "kind: DistributionPoint",
            "metadata: {name: site-vm}",
            "spec:",
            "  osImages: {names: [test-system, reference-2026]}",
            "---",
            "apiVersion: osdeploy.io/v1alpha1",
            "kind: TaskSequenceDeployment",
            "metadata: {name: from-reference}",
            "spec:",
            "  taskSequence:",
            "    steps:",
            "      - {name: Apply the reference, applyOperatingSystem: {osImage: reference-2026}}",
            "      - {name: Restart, restart: {}}",
            "  target:",
            "    machines:",
            "      - {name: desk-02, mac: '" + blank + "'}",
            "  availability: MediaAndPxe",
            "  purpose: Required",
            "  distributionPoints: [site-vm]"));
    OperatorTests.awaitCondition(
        client,
        operator.getNamespace(),
        TaskSequenceDeployment.class,
        "from-reference",
        "Ready",
        "True",
        "ContentReady",
        node.daemon()::log);

    BareMetalSite.Machine copy = fromCd(site, "desk-02", blank, iso, site.blankDisk("desk-02"), "");
    // The reference's own marker: desk-02 starts the system captured from desk-01's disk.
    BareMetalSite.awaitConsole(copy, marker, Duration.ofMinutes(15));
    String copied = copy.read();
    assertTrue(copied.contains("from-reference: step 1 of 2"), copy.tail());
    assertTrue(
        copied.contains("expanded as it streamed"),
        "a disk the image's size has no room to stage it: it streams\n" + copy.tail());
    assertEquals(1, OperatorTests.count(copied, "osdeploy: boot environment "), "deployed once");
  }

  @Test
  void aMachineWhosePowerIsCutMidImageBootsTheBootEnvironmentAgainAndSucceeds() throws Exception {
    BareMetalSite site = site();
    Path iso = site.media("site-vm-cd");
    Path disk = site.blankDisk("desk-01");
    // Writes held to 1 MB/s make the image take long enough to be cut in the middle.
    String slow = ",throttling.bps-write=1000000";
    BareMetalSite.Machine first = fromCd(site, "desk-01", MAC, iso, disk, slow);
    BareMetalSite.awaitConsole(first, "bare-metal: test-system [", Duration.ofMinutes(10));
    first.powerOff();
    String cut = first.read();
    assertTrue(!cut.contains("step 2 of 3"), "cut before the image was done:\n" + first.tail());

    BareMetalSite.Machine again = fromCd(site, "desk-01-again", MAC, iso, disk, "");
    BareMetalSite.awaitConsole(
        again, "osdeploy-test-system: marker " + MAC + " bare-metal", Duration.ofMinutes(15));
    String seen = again.read();
    assertTrue(seen.contains("osdeploy: 1 deployment for " + MAC), "offered again:\n" + seen);
    assertTrue(seen.contains("bare-metal: step 1 of 3: Apply the system"), again.tail());
    await("the deployment's status counting the machine")
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () -> assertEquals(1, deployment().getStatus().getMachines().getSucceeded()));
  }

  @Test
  void anImageThatFailsVerificationIsNeverBootedAndAStrangerGetsNothing() throws Exception {
    BareMetalSite site = site();
    Path iso = site.media("site-vm-cd");
    // The node's verified copy rots on its disk after it was checked: what it serves now does not
    // match the SHA-256.
    Path copy;
    long size = Files.size(site.system());
    try (var files = Files.walk(dir.resolve("content-node-vm"))) {
      copy =
          files
              .filter(Files::isRegularFile)
              .filter(f -> f.toFile().length() == size)
              .findFirst()
              .orElseThrow();
    }
    try (var channel =
        java.nio.channels.FileChannel.open(copy, java.nio.file.StandardOpenOption.WRITE)) {
      channel.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), 3L * 1024 * 1024);
    }
    Path disk = site.blankDisk("desk-01");
    BareMetalSite.Machine machine = fromCd(site, "desk-01", MAC, iso, disk, "");
    BareMetalSite.Machine stranger =
        fromCd(site, "stranger", "52:54:00:b4:00:99", iso, site.blankDisk("stranger"), "");

    await("the failure on desk-01's console; see " + machine.console())
        .atMost(Duration.ofMinutes(15))
        .pollInterval(Duration.ofSeconds(2))
        .until(() -> machine.read().contains("osdeploy: the deployment FAILED"));
    String seen = machine.read();
    assertTrue(seen.contains("not verified"), "the agent says why:\n" + machine.tail());
    assertTrue(seen.contains("it will not start from its disk"), machine.tail());
    assertTrue(!seen.contains("osdeploy-test-system"), "the disk was never booted");
    await("the failure in the deployment's status")
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () -> {
              TaskSequenceDeployment d = deployment();
              assertEquals(1, d.getStatus().getMachines().getFailed(), d.getStatus().toString());
              assertTrue(
                  d.getStatus().getRecentFailures().stream()
                      .anyMatch(f -> f.getMessage().contains("not verified")),
                  d.getStatus().toString());
            });

    String strangers = stranger.read();
    assertTrue(
        strangers.contains("osdeploy: no deployment is offered to 52:54:00:b4:00:99"),
        stranger.tail());
    assertTrue(!strangers.contains("osdeploy: boot environment"), "the stranger got nothing");
    assertTrue(!strangers.contains("osdeploy-test-system"), "and booted nothing");
  }

  private static Path download(String url, Path to) throws IOException, InterruptedException {
    return HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofFile(to))
        .body();
  }

  private static String get(String url) throws IOException, InterruptedException {
    return HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
