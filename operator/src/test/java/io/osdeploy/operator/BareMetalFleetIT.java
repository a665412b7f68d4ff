package io.osdeploy.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.operator.reconciler.References;
import io.osdeploy.operator.testing.BareMetalSite;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.Prerequisites;
import io.osdeploy.operator.testing.QemuMachine;
import io.osdeploy.operator.testing.SiteNode;
import io.osdeploy.operator.testing.TestCa;
import io.osdeploy.operator.testing.TestCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three blank machines, three ways in, one multicast session. On a LAN of network namespaces, a
 * distribution point daemon serves HTTP and HTTPS (its certificate from a test CA), PXE (proxyDHCP
 * and TFTP) and the boot environment the project built; one required deployment with {@code
 * minClients: 3} targets:
 *
 * <ul>
 *   <li>desk-uefi: the operator's ISO as a CD under UEFI, the media pinning the CA: iPXE, the boot
 *       environment and the agent all speak HTTPS to the node;
 *   <li>desk-usb: the operator's USB media under BIOS (HTTP), the blank disk listed first in the
 *       boot order, as a new machine's firmware has it;
 *   <li>desk-pxe: its NIC's PXE ROM under BIOS, the boot file from the daemon's proxyDHCP and TFTP.
 * </ul>
 *
 * They join one multicast session for the test system's whole-disk image, compressed with {@code
 * zstd}: each receives the compressed bytes into its disk's free end and expands them to the front.
 * They mark the system, restart and start the deployed system, which prints its marker. desk-uefi
 * still has the CD first and desk-pxe the network: the distribution point sends both to their
 * disks. The deployment counts 3 succeeded. Needs root, dnsmasq, QEMU with OVMF and the boot
 * environment's tools.
 */
class BareMetalFleetIT {
  private static final Map<String, String> MACS =
      Map.of(
          "desk-uefi", "52:54:00:b4:01:01",
          "desk-usb", "52:54:00:b4:01:02",
          "desk-pxe", "52:54:00:b4:01:03");
  private static final Path PXE_ROM = Path.of("/usr/lib/ipxe/qemu/pxe-e1000.rom");

  @RegisterExtension
  static LocallyRunOperatorExtension operator = OperatorTests.operator(TestCluster.newClient());

  private final KubernetesClient client = TestCluster.client();
  private BareMetalSite site;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  @BeforeEach
  void prerequisites() {
    BareMetalSite.requirePrerequisites();
    Prerequisites.require(QemuMachine.uefiInstalled(), "OVMF (Debian package ovmf)");
    Prerequisites.require(Files.isRegularFile(PXE_ROM), PXE_ROM + " (package ipxe-qemu)");
  }

  @AfterEach
  void stop() throws Exception {
    if (site != null) {
      site.close();
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
  void threeMachinesByCdUnderUefiUsbUnderBiosAndPxeShareOneSessionAndBootTheirDisks()
      throws Exception {
    String ns = operator.getNamespace();
    site = new BareMetalSite(client, ns, dir);
    TestCa ca = TestCa.create("osdeploy fleet test CA");
    Path tls = ca.writeSecret(dir.resolve("tls"), site.dp().address());
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("site-fleet-tls")
                .withNamespace(ns)
                .addToLabels(References.SECRET_LABEL, "true")
                .endMetadata()
                .withType("kubernetes.io/tls")
                .addToStringData("tls.crt", Files.readString(tls.resolve("tls.crt")))
                .addToStringData("tls.key", Files.readString(tls.resolve("tls.key")))
                .addToStringData("ca.crt", Files.readString(tls.resolve("ca.crt")))
                .build())
        .create();
    String http = SiteNode.url(site.dp());
    String https = "https://" + site.dp().address() + ":9443";
    StringBuilder targets = new StringBuilder();
    for (String name : List.of("desk-uefi", "desk-usb", "desk-pxe")) {
      targets.append("      - {name: ").append(name).append(", mac: '");
      targets.append(MACS.get(name)).append("'}\n");
    }
    site.apply(
        site.compressedTestSystemImage("test-system", "format: Disk", "multicast: {allowed: true}")
            + String.join(
                "\n",
                "---",
                "apiVersion: osdeploy.io/v1alpha1",
                "kind: DistributionPoint",
                "metadata: {name: site-fleet}",
                "spec:",
                "  osImages: {names: [test-system]}",
                "  tls: {secretName: site-fleet-tls}",
                "  pxe: {enabled: true}",
                "  multicast:",
                "    enabled: true",
                "    addressRange: {start: 239.214.7.1, end: 239.214.7.4}",
                "    portRange: {start: 47100, end: 47103}",
                "    sessionStart: {minClients: 3, maxWaitSeconds: 900}",
                "---",
                "apiVersion: osdeploy.io/v1alpha1",
                "kind: TaskSequenceDeployment",
                "metadata: {name: fleet}",
                "spec:",
                "  taskSequence:",
                "    steps:",
                "      - {name: Apply the system, applyOperatingSystem: {osImage: test-system}}",
                "      - name: Mark the system",
                "        runCommand:",
                "          command: >-",
                "            " + BareMetalIT.MARK_COMMAND,
                "      - {name: Restart, restart: {}}",
                "  target:",
                "    machines:",
                targets.toString().stripTrailing(),
                "  availability: MediaAndPxe",
                "  purpose: Required",
                "  delivery: MulticastPreferred",
                "  distributionPoints: [site-fleet]",
                "---",
                "apiVersion: osdeploy.io/v1alpha1",
                "kind: BootableMedia",
                "metadata: {name: fleet-cd-pinned}",
                "spec:",
                "  type: Iso",
                "  bootServers: ['" + https + "']",
                "  caFingerprint: " + ca.fingerprint(),
                "---",
                "apiVersion: osdeploy.io/v1alpha1",
                "kind: BootableMedia",
                "metadata: {name: fleet-usb}",
                "spec:",
                "  type: Usb",
                "  bootServers: ['" + http + "']"));
    SiteNode node = site.startNode("site-fleet-daemon", "node-fleet", "--tls-directory=" + tls);
    OperatorTests.awaitCondition(
        client,
        ns,
        TaskSequenceDeployment.class,
        "fleet",
        "Ready",
        "True",
        "ContentReady",
        node.daemon()::log);
    await("HTTPS and PXE on the node; see its log")
        .atMost(OperatorTests.TIMEOUT)
        .until(
            () ->
                node.daemon().log().contains("HTTPS at ")
                    && node.daemon().log().contains("PXE on:"));
    Path cd = site.media("fleet-cd-pinned");
    Path usb = site.media("fleet-usb");

    Path uefiDisk = site.blankDisk("desk-uefi");
    List<String> uefi = new java.util.ArrayList<>(site.uefi("desk-uefi"));
    uefi.addAll(
        List.of(
            "-drive",
            "if=none,id=cd,media=cdrom,readonly=on,format=raw,file=" + cd,
            "-device",
            "ide-cd,drive=cd,bootindex=0",
            "-drive",
            "if=none,id=disk,format=raw,file=" + uefiDisk,
            "-device",
            "virtio-blk-pci,drive=disk,bootindex=1"));
    BareMetalSite.Machine deskUefi =
        site.machine("desk-uefi", MACS.get("desk-uefi"), List.of(), uefi);

    Path usbDisk = site.blankDisk("desk-usb");
    BareMetalSite.Machine deskUsb =
        site.machine(
            "desk-usb",
            MACS.get("desk-usb"),
            List.of(),
            List.of(
                "-drive",
                "if=none,id=disk,format=raw,file=" + usbDisk,
                "-device",
                "virtio-blk-pci,drive=disk,bootindex=0",
                "-device",
                "qemu-xhci,id=xhci",
                "-drive",
                "if=none,id=stick,format=raw,snapshot=on,file=" + usb,
                "-device",
                "usb-storage,bus=xhci.0,drive=stick,bootindex=1"));

    Path pxeDisk = site.blankDisk("desk-pxe");
    BareMetalSite.Machine deskPxe =
        site.machine(
            "desk-pxe",
            MACS.get("desk-pxe"),
            List.of("romfile=" + PXE_ROM, "bootindex=0"),
            List.of(
                "-drive",
                "if=none,id=disk,format=raw,file=" + pxeDisk,
                "-device",
                "virtio-blk-pci,drive=disk,bootindex=1"));

    for (BareMetalSite.Machine m : List.of(deskUefi, deskUsb, deskPxe)) {
      BareMetalSite.awaitConsole(
          m,
          "osdeploy-test-system: marker " + MACS.get(m.name()) + " fleet",
          Duration.ofMinutes(25));
      String seen = m.read();
      assertTrue(
          seen.contains("by multicast") && !seen.contains(" 0 blocks by multicast"),
          "the image came by multicast:\n" + m.tail());
      assertTrue(
          seen.contains("expanded from the target's free end"),
          "the compressed image was staged at the disk's end and expanded:\n" + m.tail());
      assertEquals(1, OperatorTests.count(seen, "osdeploy: boot environment "), m.tail());
    }
    assertTrue(
        deskUefi.read().contains("osdeploy.server=https://")
            || deskUefi.read().contains("https://" + site.dp().address() + ":9443/boot/"),
        "desk-uefi came over HTTPS:\n" + deskUefi.tail());
    for (BareMetalSite.Machine m : List.of(deskUefi, deskPxe)) {
      assertTrue(
          m.read().contains("osdeploy: fleet already succeeded on " + MACS.get(m.name())),
          m.name() + " was sent to its disk by the boot script:\n" + m.tail());
    }
    await("the deployment's status counting the three machines")
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () -> {
              TaskSequenceDeployment d =
                  client
                      .resources(TaskSequenceDeployment.class)
                      .inNamespace(ns)
                      .withName("fleet")
                      .get();
              assertEquals(3, d.getStatus().getMachines().getSucceeded(), d.getStatus().toString());
            });
    String log = node.daemon().log();
    System.out.println(deskUefi.tail());
    System.out.println(
        log.lines()
            .filter(l -> l.contains("session"))
            .limit(20)
            .reduce("", (a, b) -> a + b + "\n"));
  }
}
