package io.osdeploy.operator.testing;

import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.digest.Sha256;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A site for bare-metal tests: a LAN of network namespaces ({@link SiteNetwork}) with a DHCP server
 * (Debian's dnsmasq, addresses only), a distribution point member, the boot environment and the
 * test system built by the project's scripts, a file server for the test system's image on the host
 * side, and QEMU machines with blank disks on taps of the LAN. Closing stops everything.
 */
public final class BareMetalSite implements AutoCloseable {
  /** Each machine's memory: the boot environment unpacks into it and runs a JVM. */
  private static final String MEMORY_MIB = "1024";

  private final KubernetesClient client;
  private final String namespace;
  private final Path dir;
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final SiteNetwork network;
  private final SiteNetwork.Member dp;
  private final Path bootEnvironment;
  private final Path system;
  private final String systemSha256;
  private final String imageUrl;

  /** Checks what the site needs, so that a laptop without it skips with the reason. */
  public static void requirePrerequisites() {
    Prerequisites.require(
        "root".equals(System.getProperty("user.name")), "root (network namespaces, taps)");
    for (String tool :
        List.of("ip", "dnsmasq", QemuMachine.BINARY, "cpio", "zstd", "syslinux", "mcopy")) {
      Prerequisites.require(onPath(tool), tool + " (scripts/prereqs.sh installs it)");
    }
  }

  public BareMetalSite(KubernetesClient client, String namespace, Path dir) throws Exception {
    this.client = client;
    this.namespace = namespace;
    this.dir = dir;
    try {
      bootEnvironment = BootEnvironmentBuild.bootEnvironment();
      system = BootEnvironmentBuild.testSystem(dir.resolve("test-system.img"));
      systemSha256 = Sha256.of(system);
      network = new SiteNetwork();
      closing.add(network);
      dp = network.add("dp", "52:54:00:b4:00:ff");
      dp.defaultRouteOnLan();
      SiteNetwork.Member dhcp = network.add("dhcp", "52:54:00:b4:00:fe");
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
      HttpServer source = HttpServer.create(new InetSocketAddress(SiteNetwork.HOST, 0), 0);
      source.createContext(
          "/",
          exchange -> {
            Path file = dir.resolve(exchange.getRequestURI().getPath().substring(1));
            if (!file.getParent().equals(dir) || !Files.isRegularFile(file)) {
              exchange.sendResponseHeaders(404, -1);
              exchange.close();
              return;
            }
            exchange.sendResponseHeaders(200, Files.size(file));
            try (OutputStream out = exchange.getResponseBody()) {
              Files.copy(file, out);
            }
          });
      source.start();
      closing.add(() -> source.stop(0));
      imageUrl = "http://" + SiteNetwork.HOST + ":" + source.getAddress().getPort() + "/";
    } catch (Exception e) {
      close();
      throw e;
    }
  }

  public SiteNetwork network() {
    return network;
  }

  /** The distribution point's member of the LAN. */
  public SiteNetwork.Member dp() {
    return dp;
  }

  public Path dir() {
    return dir;
  }

  /** The boot environment the site's distribution point serves (vmlinuz, initrd.img). */
  public Path bootEnvironment() {
    return bootEnvironment;
  }

  public Path system() {
    return system;
  }

  /**
   * The OSImage {@code name} of the file {@code file} in the site's directory (the test system by
   * default), as YAML, said to have {@code sha256}; {@code extra} lines go under {@code spec}.
   */
  public String image(String name, String file, String sha256, long size, String... extra)
      throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add("apiVersion: osdeploy.io/v1alpha1");
    lines.add("kind: OSImage");
    lines.add("metadata: {name: " + name + "}");
    lines.add("spec:");
    lines.add("  source: {url: '" + imageUrl + file + "'}");
    lines.add("  sha256: " + sha256);
    lines.add("  sizeBytes: " + size);
    for (String line : extra) {
      lines.add("  " + line);
    }
    return String.join("\n", lines) + "\n";
  }

  /** The OSImage {@code name} of the test system. */
  public String testSystemImage(String name, String... extra) throws IOException {
    return image(name, system.getFileName().toString(), systemSha256, Files.size(system), extra);
  }

  /**
   * The OSImage {@code name} of the test system compressed with the {@code zstd} command, as a site
   * would publish it: what travels is the compressed file, and the agent checks what it writes
   * against the uncompressed SHA-256.
   */
  public String compressedTestSystemImage(String name, String... extra)
      throws IOException, InterruptedException {
    Path compressed = dir.resolve(system.getFileName() + ".zst");
    if (!Files.exists(compressed)) {
      Process zstd =
          new ProcessBuilder(
                  "zstd", "-q", "-T0", "-f", system.toString(), "-o", compressed.toString())
              .inheritIO()
              .start();
      if (zstd.waitFor() != 0) {
        throw new IOException("zstd " + system + ": exit code " + zstd.exitValue());
      }
    }
    List<String> lines = new ArrayList<>(List.of(extra));
    lines.add("compression: Zstd");
    lines.add(
        "uncompressed: {sha256: " + systemSha256 + ", sizeBytes: " + Files.size(system) + "}");
    return image(
        name,
        compressed.getFileName().toString(),
        Sha256.of(compressed),
        Files.size(compressed),
        lines.toArray(String[]::new));
  }

  /** Applies multi-document YAML to the namespace, as a git sync would. */
  public void apply(String yaml) {
    for (HasMetadata item :
        client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
      OperatorTests.apply(client, namespace, "bare-metal-test", item);
    }
  }

  /** Starts the daemon of {@code daemonSet}, serving the built boot environment. */
  public SiteNode startNode(String daemonSet, String node, String... flags) throws IOException {
    List<String> all = new ArrayList<>();
    all.add("--boot-environment=" + bootEnvironment);
    all.addAll(List.of(flags));
    SiteNode started = SiteNode.start(client, namespace, daemonSet, dp, node, dir, all);
    closing.add(started);
    return started;
  }

  /** Waits until the BootableMedia {@code name} is built, and downloads it. */
  public Path media(String name) throws IOException, InterruptedException {
    BootableMedia media =
        OperatorTests.awaitCondition(
            client, namespace, BootableMedia.class, name, "Ready", "True", "Built", () -> "");
    Path file = dir.resolve(name + ".iso");
    try (InputStream in =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(media.getStatus().getArtifact().getUrl()))
                    .build(),
                HttpResponse.BodyHandlers.ofInputStream())
            .body()) {
      Files.copy(in, file);
    }
    return file;
  }

  /** A blank 256 MiB disk for machine {@code name}. */
  public Path blankDisk(String name) throws IOException {
    Path disk = dir.resolve(name + ".disk");
    try (FileChannel blank =
        FileChannel.open(disk, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      blank.write(ByteBuffer.allocate(1), 256L * 1024 * 1024 - 1);
    }
    return disk;
  }

  /** UEFI firmware for machine {@code name}: OVMF's code and a copy of its variables. */
  public List<String> uefi(String name) throws IOException {
    Path vars = dir.resolve(name + ".vars.fd");
    Files.copy(QemuMachine.UEFI_VARS, vars);
    return List.of(
        "-drive",
        "if=pflash,format=raw,readonly=on,file=" + QemuMachine.UEFI_CODE,
        "-drive",
        "if=pflash,format=raw,file=" + vars);
  }

  /**
   * Powers on machine {@code name} with an e1000 NIC of {@code mac} on the LAN (tap {@code n0}) and
   * {@code args}; its serial console goes to {@link #console}.
   */
  public Machine machine(String name, String mac, List<String> nicOptions, List<String> args)
      throws IOException, InterruptedException {
    List<String> command = network.qemuOnTap(name);
    // QEMU's default CPU has no AES, SSSE3 or SSE4 instructions, so the JVM in the boot environment
    // would decrypt multicast and hash images without its intrinsics; the emulated "max" CPU has
    // them, as the machines it stands for do.
    command.addAll(List.of("-accel", "tcg", "-cpu", "max", "-m", MEMORY_MIB, "-nographic"));
    command.addAll(
        List.of(
            "-device",
            String.join(",", List.of("e1000", "netdev=n0", "mac=" + mac))
                + nicOptions.stream().map(o -> "," + o).reduce("", String::concat)));
    command.addAll(args);
    Path console = console(name);
    Files.deleteIfExists(console);
    return new Machine(name, start(console, command), console);
  }

  public Path console(String name) {
    return dir.resolve(name + ".console");
  }

  /** A running QEMU machine. */
  public record Machine(String name, Process process, Path console) {
    public String read() throws IOException {
      return Files.exists(console) ? Files.readString(console, StandardCharsets.ISO_8859_1) : "";
    }

    /** Cuts the power: the process is killed, nothing is flushed. */
    public void powerOff() throws InterruptedException {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }

    /** The last lines of the console, for failure messages. */
    public String tail() throws IOException {
      List<String> lines = read().lines().toList();
      return name
          + "'s console:\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }
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

  private static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return Files.isExecutable(Path.of("/usr/sbin", tool))
        || Files.isExecutable(Path.of("/sbin", tool));
  }

  /** Waits until {@code machine}'s console shows {@code text}, fails early on a failure line. */
  public static void awaitConsole(Machine machine, String text, java.time.Duration timeout) {
    await(machine.name() + " showing \"" + text + "\"; see " + machine.console())
        .atMost(timeout)
        .pollInterval(java.time.Duration.ofSeconds(2))
        .until(
            () -> {
              String seen = machine.read();
              if (seen.contains(text)) {
                return true;
              }
              if (seen.contains("osdeploy: the deployment FAILED")
                  || !machine.process().isAlive()) {
                throw new AssertionError("stopped before \"" + text + "\"\n" + machine.tail());
              }
              return false;
            });
  }

  @Override
  public void close() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    closing.clear();
  }
}
