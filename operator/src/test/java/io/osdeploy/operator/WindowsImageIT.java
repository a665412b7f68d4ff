package io.osdeploy.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.digest.Sha256;
import io.osdeploy.operator.testing.BareMetalSite;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.Prerequisites;
import io.osdeploy.operator.testing.SiteNode;
import io.osdeploy.operator.testing.TestCa;
import io.osdeploy.operator.testing.TestCluster;
import io.osdeploy.operator.tokens.DeploymentSecretsSecret;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/**
 * A Windows image applied on a virtual machine with only what the project ships: a Windows image
 * file made here by wimlib from a Windows-shaped tree (two images; the deployment picks the second)
 * and a driver package, both content of a distribution point; a blank QEMU machine boots the
 * operator's media, and its boot environment's agent partitions the disk with the Windows layout,
 * stages and applies the image, writes the boot files, the answers and the drivers. The machine is
 * then switched off and its disk read back with NTFS-3G's and mtools' own readers. Windows itself
 * is not started: these machines have no Windows to start (docs/windows.md).
 */
class WindowsImageIT {
  private static final String MAC = "52:54:00:b4:00:31";
  private static final String ADMIN_PASSWORD = "Adm1n-Pa55-31";
  private static final String JOIN_PASSWORD = "J0in-Pa55-31";
  private static final long MIB = 1 << 20;

  @RegisterExtension
  static LocallyRunOperatorExtension operator = OperatorTests.operator(TestCluster.newClient());

  private final KubernetesClient client = TestCluster.client();
  private final List<AutoCloseable> closing = new ArrayList<>();

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  @BeforeEach
  void prerequisites() {
    BareMetalSite.requirePrerequisites();
    for (String tool :
        List.of("wimlib-imagex", "ntfscat", "sfdisk", "losetup", "mtype", "hivexsh", "hivexml")) {
      Prerequisites.require(
          Files.isExecutable(Path.of("/usr/bin", tool))
              || Files.isExecutable(Path.of("/usr/sbin", tool))
              || Files.isExecutable(Path.of("/sbin", tool)),
          tool
              + " (scripts/prereqs.sh installs wimtools, ntfs-3g, libhivex-bin, fdisk and mtools)");
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
  void aBlankMachineGetsTheWindowsLayoutTheChosenImageItsBootFilesAnswersAndDrivers()
      throws Exception {
    String ns = operator.getNamespace();
    BareMetalSite site = new BareMetalSite(client, ns, dir);
    closing.add(site);
    Path wim = windowsImage(site.dir());
    Path drivers = driverPackage(site.dir().resolve("drivers.zip"));
    // Secrets travel only over HTTPS: the distribution point insists on it, the media pins its CA.
    TestCa ca = TestCa.create("osdeploy windows test CA");
    Path tls = ca.writeSecret(site.dir().resolve("tls"), site.dp().address());
    String server = "https://" + site.dp().address() + ":9443";
    site.apply(
        site.image(
                "windows",
                "install.wim",
                Sha256.of(wim),
                Files.size(wim),
                "format: Wim",
                "imageIndex: 2",
                "multicast: {allowed: true}")
            + "---\n"
            + site.image(
                "fleet-drivers",
                "drivers.zip",
                Sha256.of(drivers),
                Files.size(drivers),
                "format: Package")
            + String.join(
                "\n",
                "---",
                "apiVersion: osdeploy.io/v1alpha1",
                "kind: DistributionPoint",
                "metadata: {name: site-vm}",
                "spec:",
                "  osImages: {names: [windows, fleet-drivers]}",
                "  tls: {secretName: site-vm-tls, required: true}",
                "---",
                "apiVersion: osdeploy.io/v1alpha1",
                "kind: TaskSequenceDeployment",
                "metadata: {name: windows}",
                "spec:",
                "  taskSequence:",
                "    steps:",
                "      - {name: Partition, partitionDisk: {scheme: Gpt, layout: Windows}}",
                "      - {name: Apply Windows, applyOperatingSystem: {osImage: windows}}",
                "      - {name: Apply drivers, applyDriverPackage: {osImage: fleet-drivers}}",
                "      - name: Windows settings",
                "        applyWindowsSettings:",
                "          timeZone: W. Europe Standard Time",
                "          locale: de-DE",
                "          administratorPassword: {name: windows-admin}",
                "      - name: Join the domain",
                "        joinDomain:",
                "          domain: corp.example.com",
                "          organizationalUnit: OU=Desks,DC=corp,DC=example,DC=com",
                "          account: {name: domain-join}",
                "  target:",
                "    machines:",
                "      - {name: desk-31, mac: '" + MAC + "'}",
                "  availability: MediaAndPxe",
                "  purpose: Required",
                "  distributionPoints: [site-vm]",
                "---",
                "apiVersion: osdeploy.io/v1alpha1",
                "kind: BootableMedia",
                "metadata: {name: site-vm-cd}",
                "spec:",
                "  type: Iso",
                "  bootServers: ['" + server + "']",
                "  caFingerprint: " + ca.fingerprint(),
                "---",
                "apiVersion: v1",
                "kind: Secret",
                "metadata: {name: site-vm-tls, labels: {osdeploy.io/secret: 'true'}}",
                "type: kubernetes.io/tls",
                "stringData:",
                "  tls.crt: " + yamlBlock(tls.resolve("tls.crt")),
                "  tls.key: " + yamlBlock(tls.resolve("tls.key")),
                "  ca.crt: " + yamlBlock(tls.resolve("ca.crt")),
                "---",
                "apiVersion: v1",
                "kind: Secret",
                "metadata:",
                "  name: windows-admin",
                "  labels: {osdeploy.io/secret: 'true', osdeploy.io/deployment-secret: 'true'}",
                "stringData: {password: '" + ADMIN_PASSWORD + "'}",
                "---",
                "apiVersion: v1",
                "kind: Secret",
                "metadata:",
                "  name: domain-join",
                "  labels: {osdeploy.io/secret: 'true', osdeploy.io/deployment-secret: 'true'}",
                "type: kubernetes.io/basic-auth",
                "stringData: {username: 'CORP\\joiner', password: '" + JOIN_PASSWORD + "'}"));
    // The daemon runs outside a pod: it reads the values from a copy kept as the kubelet would.
    Path secrets = site.dir().resolve("deployment-secrets");
    closing.add(
        DeploymentSecretsSecret.mirror(
            client,
            client.resources(DistributionPoint.class).inNamespace(ns).withName("site-vm").get(),
            secrets));
    SiteNode node =
        site.startNode(
            "site-vm-daemon",
            "node-vm",
            "--deployment-secrets=" + secrets,
            "--tls-directory=" + tls);
    OperatorTests.awaitCondition(
        client,
        ns,
        TaskSequenceDeployment.class,
        "windows",
        "Ready",
        "True",
        "ContentReady",
        node.daemon()::log);
    Path iso = site.media("site-vm-cd");
    Path disk = site.dir().resolve("desk-31.disk");
    try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
      f.setLength(1600 * MIB);
    }
    // Under UEFI: media that pin their CA start only there.
    List<String> uefi = new ArrayList<>(site.uefi("desk-31"));
    uefi.addAll(
        List.of(
            "-drive",
            "if=none,id=cd,media=cdrom,readonly=on,format=raw,file=" + iso,
            "-device",
            "ide-cd,drive=cd,bootindex=0",
            "-drive",
            "if=none,id=disk,format=raw,file=" + disk,
            "-device",
            "virtio-blk-pci,drive=disk,bootindex=1"));
    BareMetalSite.Machine machine = site.machine("desk-31", MAC, List.of(), uefi);
    BareMetalSite.awaitConsole(machine, "osdeploy: the deployment is done", Duration.ofMinutes(20));
    machine.powerOff();
    await("the deployment's status counting the machine")
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () ->
                assertEquals(
                    1,
                    client
                        .resources(TaskSequenceDeployment.class)
                        .inNamespace(ns)
                        .withName("windows")
                        .get()
                        .getStatus()
                        .getMachines()
                        .getSucceeded()));

    // The table, as util-linux reads it.
    JsonNode parts = sfdisk(disk).path("partitions");
    assertEquals(4, parts.size(), parts.toString());
    assertEquals("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", parts.get(0).path("type").asText());
    assertEquals("E3C9E316-0B5C-4DB8-817D-F92DF00215AE", parts.get(1).path("type").asText());
    assertEquals("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", parts.get(2).path("type").asText());
    assertEquals("DE94BBA4-06D1-4D40-A16A-BFD50179D6AC", parts.get(3).path("type").asText());

    // The Windows partition: image 2's files, the answers and the drivers.
    try (Loop windows = Loop.of(disk, parts.get(2))) {
      assertEquals("image two\n", ntfscat(windows.device, "/Users/Public/which-image.txt"));
      assertArrayEquals(
          Files.readAllBytes(site.dir().resolve("tree-two/Windows/System32/ntoskrnl.exe")),
          ntfscatBytes(windows.device, "/Windows/System32/ntoskrnl.exe"));
      Document answers = parse(ntfscatBytes(windows.device, "/Windows/Panther/unattend.xml"));
      assertEquals("DESK-31", text(answers, "ComputerName"));
      assertEquals("W. Europe Standard Time", text(answers, "TimeZone"));
      assertEquals("de-DE", text(answers, "UserLocale"));
      assertEquals(
          "pnputil.exe /add-driver \"C:\\osdeploy\\Drivers\\3\\*.inf\" /subdirs /install",
          text(answers, "Path"));
      assertEquals(
          "[Version]\nSignature=\"$Windows NT$\"\n",
          ntfscat(windows.device, "/osdeploy/Drivers/3/nic/nic.inf"));
      // The Secrets' values, handed to this machine with its token: the password obfuscated as
      // Windows reads it, the account that joins, and the answer file removed after setup.
      assertEquals(
          ADMIN_PASSWORD + "AdministratorPassword",
          new String(
              java.util.Base64.getDecoder().decode(text(answers, "Value")),
              StandardCharsets.UTF_16LE));
      assertEquals("CORP", text(answers, "Domain"));
      assertEquals("joiner", text(answers, "Username"));
      assertEquals(JOIN_PASSWORD, text(answers, "Password"));
      assertEquals("corp.example.com", text(answers, "JoinDomain"));
      assertEquals("OU=Desks,DC=corp,DC=example,DC=com", text(answers, "MachineObjectOU"));
      assertTrue(
          ntfscat(windows.device, "/Windows/Setup/Scripts/SetupComplete.cmd")
              .contains("del /q /f \"%WINDIR%\\Panther\\unattend.xml\""));
    }
    // Neither the daemon's log nor the machine's console shows a value.
    for (String log : List.of(node.daemon().log(), machine.read())) {
      assertFalse(log.contains(ADMIN_PASSWORD) || log.contains(JOIN_PASSWORD), "a value logged");
    }
    // The EFI system partition: the boot files from image 2's own.
    long esp = parts.get(0).path("start").asLong() * 512;
    assertEquals("boot manager two\n", mtype(disk, esp, "::/EFI/Boot/bootx64.efi"));
    assertEquals("boot manager two\n", mtype(disk, esp, "::/EFI/Microsoft/Boot/bootmgfw.efi"));
    assertEquals("mui two\n", mtype(disk, esp, "::/EFI/Microsoft/Boot/en-US/bootmgfw.efi.mui"));
    // The boot store: the image's template with the boot manager and its Windows loader.
    Path bcd = site.dir().resolve("BCD");
    output(List.of("mcopy", "-i", disk + "@@" + esp, "::/EFI/Microsoft/Boot/BCD", bcd.toString()));
    String store = run(List.of("hivexml", bcd.toString()));
    assertTrue(store.contains("{9dea862c-5cdd-4e70-acc1-f32b344d4795}"), "the boot manager");
    assertTrue(store.contains("\\Windows\\system32\\winload.efi"), "the Windows loader");
    assertTrue(store.contains("{6efb52bf-1766-41db-a6b3-0ee5eff72bd7}"), "the template's settings");
  }

  /** A PEM file as a YAML block scalar, indented under its key. */
  private static String yamlBlock(Path pem) throws IOException {
    return "|\n"
        + Files.readString(pem)
            .strip()
            .lines()
            .map(l -> "    " + l)
            .collect(java.util.stream.Collectors.joining("\n"));
  }

  // --- what the site publishes ---

  /** The test's Windows image file of two images (boot-environment/windows-test-image.sh). */
  private static Path windowsImage(Path dir) throws Exception {
    return Path.of(
        run(List.of("bash", "../boot-environment/windows-test-image.sh", dir.toString())).strip());
  }

  private static Path driverPackage(Path zip) throws IOException {
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
      z.putNextEntry(new ZipEntry("nic/nic.inf"));
      z.write("[Version]\nSignature=\"$Windows NT$\"\n".getBytes(StandardCharsets.US_ASCII));
      z.closeEntry();
    }
    return zip;
  }

  // --- reading the disk back with tools that are not the agent's ---

  private static JsonNode sfdisk(Path disk) throws Exception {
    return new ObjectMapper()
        .readTree(run(List.of("sfdisk", "--json", disk.toString())))
        .path("partitiontable");
  }

  /** A partition of a disk file as a loop device over its extent. */
  private record Loop(Path device) implements AutoCloseable {
    static Loop of(Path disk, JsonNode partition) throws Exception {
      long start = partition.path("start").asLong() * 512;
      long size = partition.path("size").asLong() * 512;
      String device =
          run(
              List.of(
                  "losetup",
                  "--find",
                  "--show",
                  "--read-only",
                  "--offset",
                  Long.toString(start),
                  "--sizelimit",
                  Long.toString(size),
                  disk.toString()));
      return new Loop(Path.of(device.strip()));
    }

    @Override
    public void close() throws Exception {
      run(List.of("losetup", "--detach", device.toString()));
    }
  }

  private static String ntfscat(Path device, String file) throws Exception {
    return new String(ntfscatBytes(device, file), StandardCharsets.UTF_8);
  }

  private static byte[] ntfscatBytes(Path device, String file) throws Exception {
    return output(List.of("ntfscat", "--force", device.toString(), file));
  }

  private static String mtype(Path disk, long offset, String file) throws Exception {
    return new String(
        output(List.of("mtype", "-i", disk + "@@" + offset, file)), StandardCharsets.UTF_8);
  }

  private static Document parse(byte[] xml) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml));
  }

  private static String text(Document doc, String element) {
    return doc.getElementsByTagNameNS("*", element).item(0).getTextContent();
  }

  /** Runs a tool; its standard output, standard error discarded; fails on a non-zero exit. */
  private static byte[] output(List<String> command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("MTOOLS_SKIP_CHECK", "1");
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", command));
    assertEquals(0, p.exitValue(), String.join(" ", command));
    return out;
  }

  private static String run(List<String> command) throws Exception {
    return new String(output(command), StandardCharsets.UTF_8);
  }
}
