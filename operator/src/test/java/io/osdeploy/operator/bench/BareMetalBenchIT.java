package io.osdeploy.operator.bench;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.operator.testing.BareMetalSite;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.SiteNode;
import io.osdeploy.operator.testing.TestCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench/bare-metal.sh}: from power-on to the deployed system's marker, per phase, for 1 and
 * for 3 machines (one multicast session), each a QEMU machine under TCG booting the operator's ISO
 * under BIOS against a real daemon. The phases are read off each machine's serial console, polled
 * every 100 ms. Prints a table and writes the bare-metal section of docs/benchmarks.md. Runs only
 * when asked ({@code -Dosdeploy.bench=bare-metal}), never in the test tiers.
 */
@EnabledIfSystemProperty(named = "osdeploy.bench", matches = "bare-metal")
class BareMetalBenchIT {
  /** Console lines that end each phase, in order. */
  private static final Map<String, String> PHASES = new LinkedHashMap<>();

  static {
    PHASES.put("firmware and iPXE", "osdeploy: 1 deployment for ");
    PHASES.put("boot environment download", "/boot/initrd.img... ok");
    PHASES.put("kernel to agent", "osdeploy-agent: running ");
    PHASES.put("to the image step", ": step 1 of ");
    PHASES.put("image (join, write, verify)", ": step 2 of ");
    PHASES.put("other steps", "osdeploy: the deployment is done");
    PHASES.put("restart to the deployed system", "osdeploy-test-system: marker ");
  }

  @RegisterExtension
  static LocallyRunOperatorExtension operator = OperatorTests.operator(TestCluster.newClient());

  private final KubernetesClient client = TestCluster.client();

  @TempDir Path dir;

  @Test
  void powerOnToDeployedSystem() throws Exception {
    BareMetalSite.requirePrerequisites();
    Map<Integer, double[]> results = new LinkedHashMap<>();
    for (int machines : List.of(1, 3)) {
      results.put(machines, run(machines));
    }
    StringBuilder table = new StringBuilder();
    table.append("| Phase (seconds; the slowest machine's) | 1 machine | 3 machines |\n");
    table.append("|---|---:|---:|\n");
    int i = 0;
    for (String phase : PHASES.keySet()) {
      table.append(
          String.format(
              Locale.ROOT, "| %s | %.1f | %.1f |%n", phase, results.get(1)[i], results.get(3)[i]));
      i++;
    }
    table.append(
        String.format(
            Locale.ROOT,
            "| **power-on to the deployed system** | **%.1f** | **%.1f** |%n",
            results.get(1)[i],
            results.get(3)[i]));
    String section =
        String.join(
            "\n",
            "## Bare metal",
            "",
            "`bench/bare-metal.sh`: QEMU machines under TCG (no KVM on these machines), 1 GiB each,",
            "with blank 256 MiB disks, boot the operator's ISO under BIOS against a distribution",
            "point daemon on the same LAN (network namespaces, a Linux bridge). The deployment",
            "writes the 40 MiB whole-disk test system (by multicast, one session for all),",
            "marks it and restarts; the machine then starts the deployed system from its disk.",
            "Each phase ends with a line on the machine's serial console; the table gives the",
            "slowest machine's time per phase. Measured "
                + java.time.LocalDate.now()
                + " on 2 cores.",
            "",
            table.toString().strip(),
            "",
            "Every part runs emulated (TCG) on two cores that the machines share with the daemon",
            "and the API server: the figures show where the time goes under emulation, not how",
            "long real hardware takes. \"Kernel to agent\" holds unpacking the initramfs, loading",
            "the drivers, DHCP and the JVM's start; \"other steps\" holds the mark, the restart",
            "step and the agent's second start, which finds the sequence done.");
    System.out.println(section);
    Path page = Path.of("..", "docs", "benchmarks.md");
    ScaleBench.writeSection(page, "bare-metal", section);
  }

  /** One round with {@code count} machines; the slowest machine's phases and total. */
  private double[] run(int count) throws Exception {
    String ns = operator.getNamespace();
    Path round = Files.createDirectories(dir.resolve("round-" + count));
    try (BareMetalSite site = new BareMetalSite(client, ns, round)) {
      List<String> macs = new ArrayList<>();
      StringBuilder targets = new StringBuilder();
      for (int m = 0; m < count; m++) {
        String mac = String.format(Locale.ROOT, "52:54:00:b5:%02x:01", m);
        macs.add(mac);
        targets.append("      - {name: bench-").append(m).append(", mac: '").append(mac);
        targets.append("'}\n");
      }
      site.apply(
          site.testSystemImage("test-system", "format: Disk", "multicast: {allowed: true}")
              + String.join(
                  "\n",
                  "---",
                  "apiVersion: osdeploy.io/v1alpha1",
                  "kind: DistributionPoint",
                  "metadata: {name: site-bench}",
                  "spec:",
                  "  osImages: {names: [test-system]}",
                  "  multicast:",
                  "    enabled: true",
                  "    addressRange: {start: 239.214.8.1, end: 239.214.8.4}",
                  "    portRange: {start: 47200, end: 47203}",
                  "    maxRateMbps: 100",
                  "    sessionStart: {minClients: " + count + ", maxWaitSeconds: 900}",
                  "---",
                  "apiVersion: osdeploy.io/v1alpha1",
                  "kind: TaskSequenceDeployment",
                  "metadata: {name: bench}",
                  "spec:",
                  "  taskSequence:",
                  "    steps:",
                  "      - {name: Apply, applyOperatingSystem: {osImage: test-system}}",
                  "      - name: Mark",
                  "        runCommand:",
                  "          command: >-",
                  "            mkdir -p /mnt/s && mount -t vfat ${OSD_DISK}1 /mnt/s && mkdir -p",
                  "            /mnt/s/osdeploy && echo bench > /mnt/s/osdeploy/marker && umount /mnt/s",
                  "      - {name: Restart, restart: {}}",
                  "  target:",
                  "    machines:",
                  targets.toString().stripTrailing(),
                  "  availability: MediaAndPxe",
                  "  purpose: Required",
                  "  distributionPoints: [site-bench]",
                  "---",
                  "apiVersion: osdeploy.io/v1alpha1",
                  "kind: BootableMedia",
                  "metadata: {name: bench-cd}",
                  "spec:",
                  "  type: Iso",
                  "  bootServers: ['" + SiteNode.url(site.dp()) + "']"));
      SiteNode node = site.startNode("site-bench-daemon", "node-bench");
      OperatorTests.awaitCondition(
          client,
          ns,
          TaskSequenceDeployment.class,
          "bench",
          "Ready",
          "True",
          "ContentReady",
          node.daemon()::log);
      Path iso = site.media("bench-cd");
      List<BareMetalSite.Machine> started = new ArrayList<>();
      List<Long> powerOn = new ArrayList<>();
      for (int m = 0; m < count; m++) {
        Path disk = site.blankDisk("bench-" + m);
        powerOn.add(System.nanoTime());
        started.add(
            site.machine(
                "bench-" + m,
                macs.get(m),
                List.of(),
                List.of(
                    "-cdrom",
                    iso.toString(),
                    "-drive",
                    "file=" + disk + ",format=raw,if=virtio",
                    "-boot",
                    "order=dc")));
      }
      List<long[]> seen = new ArrayList<>();
      for (int m = 0; m < count; m++) {
        seen.add(new long[PHASES.size()]);
      }
      String[] markers = PHASES.values().toArray(String[]::new);
      await("every machine's marker")
          .atMost(Duration.ofMinutes(30))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                boolean all = true;
                for (int m = 0; m < count; m++) {
                  String console = started.get(m).read();
                  if (console.contains("osdeploy: the deployment FAILED")) {
                    throw new AssertionError(started.get(m).tail());
                  }
                  for (int p = 0; p < markers.length; p++) {
                    if (seen.get(m)[p] == 0 && console.contains(markers[p])) {
                      seen.get(m)[p] = System.nanoTime();
                    }
                  }
                  all &= seen.get(m)[markers.length - 1] != 0;
                }
                return all;
              });
      double[] slowest = new double[PHASES.size() + 1];
      for (int m = 0; m < count; m++) {
        long previous = powerOn.get(m);
        for (int p = 0; p < markers.length; p++) {
          long at = seen.get(m)[p] == 0 ? previous : seen.get(m)[p];
          slowest[p] = Math.max(slowest[p], (at - previous) / 1e9);
          previous = at;
        }
        slowest[markers.length] =
            Math.max(slowest[markers.length], (previous - powerOn.get(m)) / 1e9);
      }
      for (BareMetalSite.Machine m : started) {
        m.powerOff();
      }
      return slowest;
    } finally {
      cleanUp(ns);
    }
  }

  private void cleanUp(String ns) throws IOException {
    OperatorTests.deleteAll(
        client,
        ns,
        BootableMedia.class,
        TaskSequenceDeployment.class,
        DistributionPoint.class,
        OSImage.class);
  }
}
