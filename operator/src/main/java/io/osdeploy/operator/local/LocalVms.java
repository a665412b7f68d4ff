package io.osdeploy.operator.local;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.digest.Sha256;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code run --vms N}: virtual machines on this computer deploy a real system. A distribution point
 * of their own ({@value #DP}) holds the small test system that {@code
 * boot-environment/test-system.sh} builds, as a whole-disk image; its node's daemon serves the boot
 * environment and is reached by the machines at QEMU's user-network address of this computer
 * ({@value #HOST_FROM_GUEST}). Once it is Ready, the operator builds boot media pointing there, N
 * QEMU machines (TCG, blank disks) boot it, run the boot environment and the agent, write the
 * system, and restart into it; the system prints the marker a command step wrote. QEMU's user
 * network has no multicast, so the image comes by unicast.
 */
final class LocalVms implements AutoCloseable {
  static final String DP = "local-vms";
  static final String HOST_FROM_GUEST = "10.0.2.2";
  private static final String IMAGE = "local-vm-system";
  private static final String DEPLOYMENT = "local-vms-demo";
  private static final String MEDIA = "local-vms-cd";
  private static final String MARKER = "osdeploy-test-system: marker ";

  private final KubernetesClient client;
  private final String namespace;
  private final Path dir;
  private final int count;
  private final HttpServer source;
  private final List<Process> machines = new ArrayList<>();

  private LocalVms(
      KubernetesClient client, String namespace, Path dir, int count, HttpServer source) {
    this.client = client;
    this.namespace = namespace;
    this.dir = dir;
    this.count = count;
    this.source = source;
  }

  /** The machines' MACs: QEMU's locally administered prefix. */
  static String mac(int i) {
    return String.format(Locale.ROOT, "52:54:00:0e:00:%02x", i + 1);
  }

  /**
   * Serves {@code system} (a whole-disk image) locally and applies its OSImage, the machines'
   * distribution point and their deployment to {@code namespace}.
   */
  static LocalVms prepare(
      KubernetesClient client, String namespace, Path home, Path system, int count)
      throws IOException {
    Path dir = home.resolve("vms");
    Files.createDirectories(dir);
    HttpServer source = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    source.createContext(
        "/" + IMAGE,
        exchange -> {
          exchange.sendResponseHeaders(200, Files.size(system));
          try (OutputStream out = exchange.getResponseBody()) {
            Files.copy(system, out);
          }
        });
    source.start();
    LocalVms vms = new LocalVms(client, namespace, dir, count, source);
    StringBuilder targets = new StringBuilder();
    for (int i = 0; i < count; i++) {
      targets.append(
          String.format(Locale.ROOT, "      - {name: vm-%d, mac: '%s'}%n", i + 1, mac(i)));
    }
    vms.apply(
        String.join(
            "\n",
            "apiVersion: osdeploy.io/v1alpha1",
            "kind: OSImage",
            "metadata: {name: " + IMAGE + "}",
            "spec:",
            "  source: {url: 'http://127.0.0.1:"
                + source.getAddress().getPort()
                + "/"
                + IMAGE
                + "'}",
            "  sha256: " + Sha256.of(system),
            "  sizeBytes: " + Files.size(system),
            "  format: Disk",
            "  osVersion: osdeploy test system",
            "---",
            "apiVersion: osdeploy.io/v1alpha1",
            "kind: DistributionPoint",
            "metadata: {name: " + DP + "}",
            "spec:",
            "  nodeSelector: {osdeploy.io/site: local-vms}",
            "  osImages: {names: [" + IMAGE + "]}",
            "---",
            "apiVersion: osdeploy.io/v1alpha1",
            "kind: TaskSequenceDeployment",
            "metadata: {name: " + DEPLOYMENT + "}",
            "spec:",
            "  taskSequence:",
            "    steps:",
            "      - {name: Apply the system, applyOperatingSystem: {osImage: " + IMAGE + "}}",
            "      - name: Mark the system",
            "        runCommand:",
            "          command: >-",
            "            mkdir -p /mnt/system && mount -t vfat ${OSD_DISK}1 /mnt/system &&",
            "            mkdir -p /mnt/system/osdeploy && echo \"${OSD_MAC} ${OSD_DEPLOYMENT}\" >",
            "            /mnt/system/osdeploy/marker && umount /mnt/system",
            "      - {name: Restart, restart: {}}",
            "  target:",
            "    machines:",
            targets.toString().stripTrailing(),
            "  availability: MediaAndPxe",
            "  purpose: Required",
            "  distributionPoints: [" + DP + "]"));
    return vms;
  }

  /**
   * Builds the media once the node reports its endpoint, boots the machines and waits for each to
   * start the deployed system; one line saying how it went.
   */
  String boot() throws IOException, InterruptedException {
    long started = System.nanoTime();
    DistributionPoint dp =
        client.resources(DistributionPoint.class).inNamespace(namespace).withName(DP).get();
    if (dp == null
        || dp.getStatus() == null
        || dp.getStatus().getNodes() == null
        || dp.getStatus().getNodes().isEmpty()) {
      return "VMs: DistributionPoint " + DP + " has no node";
    }
    String endpoint = dp.getStatus().getNodes().get(0).getEndpoint();
    apply(
        String.join(
            "\n",
            "apiVersion: osdeploy.io/v1alpha1",
            "kind: BootableMedia",
            "metadata: {name: " + MEDIA + "}",
            "spec:",
            "  type: Iso",
            "  bootServers: ['" + endpoint + "']"));
    Path iso = media();
    if (iso == null) {
      return "VMs: BootableMedia " + MEDIA + " was not built within 120 s";
    }
    List<Path> consoles = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String name = "vm-" + (i + 1);
      Path disk = dir.resolve(name + ".disk");
      Files.deleteIfExists(disk);
      try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
        f.setLength(256L << 20);
      }
      Path console = dir.resolve(name + ".console");
      consoles.add(console);
      machines.add(
          new ProcessBuilder(
                  "qemu-system-x86_64",
                  "-accel",
                  "tcg",
                  "-m",
                  "1024",
                  "-nographic",
                  "-netdev",
                  "user,id=n0",
                  "-device",
                  "e1000,netdev=n0,mac=" + mac(i),
                  "-cdrom",
                  iso.toString(),
                  "-drive",
                  "file=" + disk + ",format=raw,if=virtio",
                  "-boot",
                  "order=dc")
              .redirectErrorStream(true)
              .redirectOutput(console.toFile())
              .redirectInput(ProcessBuilder.Redirect.PIPE)
              .start());
    }
    int booted = 0;
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);
    while (System.nanoTime() < deadline) {
      booted = 0;
      int failed = 0;
      for (int i = 0; i < count; i++) {
        String text =
            Files.exists(consoles.get(i))
                ? Files.readString(consoles.get(i), StandardCharsets.ISO_8859_1)
                : "";
        if (text.contains(MARKER + mac(i) + " " + DEPLOYMENT)) {
          booted++;
        } else if (text.contains("osdeploy: the deployment FAILED")) {
          failed++;
        }
      }
      if (booted + failed == count) {
        break;
      }
      Thread.sleep(1000);
    }
    stopMachines();
    TaskSequenceDeployment d =
        client
            .resources(TaskSequenceDeployment.class)
            .inNamespace(namespace)
            .withName(DEPLOYMENT)
            .get();
    Integer succeeded =
        d == null || d.getStatus() == null || d.getStatus().getMachines() == null
            ? null
            : d.getStatus().getMachines().getSucceeded();
    return String.format(
        Locale.ROOT,
        "VMs: %d of %d succeeded in %s's status; %d of %d virtual machines booted %s, wrote %s to"
            + " their blank disks and started it, in %.0f s (consoles in %s)",
        succeeded == null ? 0 : succeeded,
        count,
        DEPLOYMENT,
        booted,
        count,
        MEDIA,
        IMAGE,
        (System.nanoTime() - started) / 1e9,
        dir);
  }

  /** Whether every machine started the deployed system, as {@link #boot}'s line says. */
  static boolean allBooted(String line) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(\\d+) of (\\d+) virtual machines booted").matcher(line);
    return !m.find() || m.group(1).equals(m.group(2));
  }

  private Path media() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      BootableMedia m =
          client.resources(BootableMedia.class).inNamespace(namespace).withName(MEDIA).get();
      if (m != null
          && m.getStatus() != null
          && m.getStatus().getArtifact() != null
          && m.getStatus().getArtifact().getUrl() != null) {
        Path iso = dir.resolve(MEDIA + ".iso");
        try (InputStream in =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(URI.create(m.getStatus().getArtifact().getUrl()))
                        .build(),
                    HttpResponse.BodyHandlers.ofInputStream())
                .body()) {
          Files.copy(in, iso, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return iso;
      }
      Thread.sleep(1000);
    }
    return null;
  }

  private void apply(String yaml) {
    for (HasMetadata item :
        client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
      item.getMetadata().setNamespace(namespace);
      client.resource(item).fieldManager("osdeploy-run").forceConflicts().serverSideApply();
    }
  }

  private void stopMachines() throws InterruptedException {
    for (Process p : machines) {
      p.destroy();
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
    machines.clear();
  }

  @Override
  public void close() {
    try {
      stopMachines();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    source.stop(0);
  }
}
