package io.osdeploy.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentStatus;
import io.osdeploy.digest.Sha256;
import io.osdeploy.operator.page.LivePage;
import io.osdeploy.operator.testing.DaemonProcess;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.PageBrowser;
import io.osdeploy.operator.testing.Prerequisites;
import io.osdeploy.operator.testing.SiteNetwork;
import io.osdeploy.operator.testing.SiteNode;
import io.osdeploy.operator.testing.TestCluster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole product on one site: the real API server and the operator; one distribution-point
 * daemon in a network namespace of its own; eight machines in eight namespaces on the same bridge,
 * each running the real agent jar. The site's YAML (a test image, a package, the distribution
 * point, a required deployment for the eight MACs) is applied as a user would; every agent joins
 * the one multicast session, writes the image to its disk's partition, runs the remaining steps
 * across a restart, and the deployment's status reaches 8 succeeded. One agent is killed while the
 * image is arriving and resumes; a ninth machine gets nothing; a tenth, whose deployment's step
 * fails, is shown failed with its step and message; an eleventh captures its user's files to the
 * distribution point and a twelfth, running a hidden deployment it names, restores them. Needs root
 * and {@code ip}.
 */
class EndToEndDeploymentIT {
  private static final long MIB = 1 << 20;
  private static final int MACHINES = 8;
  private static final Path AGENT_JAR =
      Path.of("..", "agent", "target", "osdeploy-agent.jar").toAbsolutePath().normalize();
  private static final Duration AGENT_TIMEOUT = Duration.ofMinutes(10);

  @RegisterExtension
  static LocallyRunOperatorExtension operator = OperatorTests.operator(TestCluster.newClient());

  private final KubernetesClient client = TestCluster.client();
  private final List<AutoCloseable> closing = new ArrayList<>();

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  @BeforeEach
  void prerequisites() {
    Prerequisites.require(
        "root".equals(System.getProperty("user.name")), "root (network namespaces)");
    Prerequisites.require(
        Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")),
        "ip (apt-get install iproute2)");
    Prerequisites.require(
        Files.isRegularFile(AGENT_JAR), "the agent jar " + AGENT_JAR + " (build agent first)");
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    OperatorTests.deleteAll(
        client,
        operator.getNamespace(),
        TaskSequenceDeployment.class,
        DistributionPoint.class,
        OSImage.class);
  }

  @Test
  void eightMachinesOneMulticastSessionEightSucceeded() throws Exception {
    String ns = operator.getNamespace();
    SiteNetwork site = new SiteNetwork();
    closing.add(site);
    SiteNetwork.Member dp = site.add("dp", "52:54:00:e2:e0:ff");
    List<SiteNetwork.Member> machines = new ArrayList<>();
    for (int i = 1; i <= 12; i++) {
      machines.add(site.add("m" + i, String.format("52:54:00:e2:e0:%02x", i)));
    }
    String dpUrl = SiteNode.url(dp);

    // The image and the package come from a server the distribution point reaches on the LAN.
    long imageSize = Long.getLong("osdeploy.e2e.imageMiB", 256) * MIB;
    Path image = dir.resolve("e2e.img");
    String imageSha = randomFile(image, imageSize);
    byte[] tools =
        "#!/bin/sh\necho \"tools for $1\" > tools-ran.txt\n".getBytes(StandardCharsets.UTF_8);
    Path toolsFile = dir.resolve("tools.sh");
    Files.write(toolsFile, tools);
    HttpServer source = HttpServer.create(new InetSocketAddress(SiteNetwork.HOST, 0), 0);
    serve(source, "/e2e.img", image);
    serve(source, "/tools.sh", toolsFile);
    source.start();
    closing.add(() -> source.stop(0));
    String base = "http://" + SiteNetwork.HOST + ":" + source.getAddress().getPort();

    String yaml =
        resource("/e2e/site.yaml")
            .replace("SOURCE_URL", base + "/e2e.img")
            .replace("IMAGE_SHA256", imageSha)
            .replace("IMAGE_SIZE", Long.toString(imageSize))
            .replace("TOOLS_URL", base + "/tools.sh")
            .replace("TOOLS_SHA256", Sha256.of(toolsFile))
            .replace("TOOLS_SIZE", Integer.toString(tools.length))
            .replace("DP_URL", dpUrl);
    for (HasMetadata item :
        client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
      OperatorTests.apply(client, ns, "e2e-test", item);
    }

    // The distribution point's node: the daemon reaches the API server through a relay.
    SiteNode node = SiteNode.start(client, ns, "site-e2e-daemon", dp, "node-dp", dir);
    closing.add(node);
    DaemonProcess daemon = node.daemon();
    OperatorTests.awaitCondition(
        client,
        ns,
        TaskSequenceDeployment.class,
        "e2e-rollout",
        "Ready",
        "True",
        "ContentReady",
        () -> tail(daemon.log()));
    OperatorTests.awaitCondition(
        client,
        ns,
        TaskSequenceDeployment.class,
        "e2e-broken",
        "Ready",
        "True",
        "ContentReady",
        () -> tail(daemon.log()));

    // The live page, open in a real browser while the machines deploy.
    LivePage page =
        LivePage.start(client, java.util.Set.of(ns), "127.0.0.1", 0, java.util.Set.of());
    closing.add(page);
    PageWatch watch = PageWatch.open("http://127.0.0.1:" + page.address().getPort() + "/", ns);
    if (watch != null) {
      closing.add(watch);
    }

    // Eight agents at once; the third is killed while its image is arriving, and run again.
    long txBefore = dp.txBytes();
    ExecutorService pool = Executors.newFixedThreadPool(MACHINES + 2);
    closing.add(pool::shutdownNow);
    List<Future<List<Run>>> runs = new ArrayList<>();
    for (int i = 0; i < MACHINES; i++) {
      SiteNetwork.Member m = machines.get(i);
      boolean kill = i == 2;
      runs.add(pool.submit(() -> untilDone(m, dpUrl, kill)));
    }
    Future<List<Run>> ninth = pool.submit(() -> untilDone(machines.get(8), dpUrl, false));
    Future<List<Run>> tenth = pool.submit(() -> untilDone(machines.get(9), dpUrl, false));

    for (int i = 0; i < MACHINES; i++) {
      List<Run> r = runs.get(i).get(AGENT_TIMEOUT.toMinutes() * 3, TimeUnit.MINUTES);
      String who = machines.get(i).mac();
      Run last = r.get(r.size() - 1);
      assertEquals(0, last.exit(), who + ": " + last.output() + "\n" + tail(daemon.log()));
      assertTrue(
          r.stream().anyMatch(x -> x.exit() == 3),
          who + " stopped for its restart step: " + r.stream().map(Run::exit).toList());
      Path machineDir = dir.resolve(machines.get(i).namespace());
      assertEquals(
          imageSha,
          partitionSha(machineDir.resolve("disk.img"), imageSize),
          who + ": the image on the disk's partition");
      Path state = machineDir.resolve("state");
      assertEquals("office " + who, Files.readString(state.resolve("role.txt")).strip());
      assertEquals("tools for office", Files.readString(state.resolve("tools-ran.txt")).strip());
      assertEquals("ok", Files.readString(state.resolve("finished.txt")).strip());
      assertTrue(
          last.output().contains("1 failed and were allowed to: Optional drivers: "),
          who + ": the step allowed to fail is in the summary: " + tail(last.output()));
    }
    assertTrue(
        runs.get(2).get().stream().anyMatch(r -> r.exit() == Run.KILLED),
        "the third agent was killed mid-way");
    // Every machine took the image from the one session; only the killed one may have finished
    // by unicast what it missed.
    assertEquals(
        1, OperatorTests.count(daemon.log(), "multicast session start"), tail(daemon.log()));
    for (int i = 0; i < MACHINES; i++) {
      String route = imageRoute(runs.get(i).get());
      System.out.printf(
          "end-to-end: %s runs %s, image %s%n",
          machines.get(i).mac(), runs.get(i).get().stream().map(Run::exit).toList(), route);
      assertTrue(route.contains("route multicast"), machines.get(i).mac() + ": " + route);
      if (i != 2) {
        // Unicast may fill what the end of the session left; most comes by multicast.
        long blocks = Long.parseLong(route.replaceAll(".*, (\\d+) blocks by multicast.*", "$1"));
        long total = (imageSize + 1399) / 1400;
        assertTrue(blocks >= total * 9 / 10, machines.get(i).mac() + ": " + route);
      }
    }
    long wire = dp.txBytes() - txBefore;
    double copies = (double) wire / imageSize;
    System.out.printf(
        "end-to-end: %d machines, image %d MiB, the distribution point sent %.2f copies%n",
        MACHINES, imageSize / MIB, copies);
    assertTrue(copies < 2.5, "bytes on the distribution point's wire: " + copies + " copies");

    // The ninth machine is in no collection: nothing to run, its disk untouched.
    Run nine = ninth.get(5, TimeUnit.MINUTES).get(0);
    assertEquals(4, nine.exit(), nine.output());
    assertTrue(nine.output().contains("has no deployment"), nine.output());
    assertEquals(0, nonZeroBytes(dir.resolve(machines.get(8).namespace()).resolve("disk.img")));

    // The tenth machine's deployment fails at its first step; the status says which and why.
    Run ten = tenth.get(5, TimeUnit.MINUTES).get(0);
    assertEquals(1, ten.exit(), ten.output());

    await()
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () -> {
              TaskSequenceDeploymentStatus s = status("e2e-rollout");
              assertEquals(MACHINES, s.getMachines().getTargeted(), s.getMachines().toString());
              assertEquals(MACHINES, s.getMachines().getSucceeded(), counts(s));
              assertEquals(0, s.getMachines().getFailed(), counts(s));
            });
    await()
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () -> {
              TaskSequenceDeploymentStatus s = status("e2e-broken");
              assertEquals(1, s.getMachines().getFailed(), counts(s));
              TaskSequenceDeploymentStatus.MachineFailure f = s.getRecentFailures().get(0);
              assertEquals(0, f.getStep());
              assertTrue(f.getMessage().contains("Check hardware"), f.getMessage());
              assertTrue(f.getMessage().contains("exit code 3"), f.getMessage());
              assertTrue(f.getMessage().contains("no disk controller found"), f.getMessage());
            });
    if (watch != null) {
      watch.finish();
    }
    // What kubectl describe shows: the first failure, and the end of each deployment.
    assertEquals(
        "Warning",
        OperatorTests.awaitEvent(
                client, operator.getNamespace(), "e2e-broken", "MachineFailed", "Check hardware")
            .getType());
    assertEquals(
        "Normal",
        OperatorTests.awaitEvent(
                client,
                operator.getNamespace(),
                "e2e-rollout",
                "AllMachinesDone",
                MACHINES + " succeeded, 0 failed")
            .getType());

    // Replacing a computer: the old one captures its user's files, the new one restores them.
    Path home = dir.resolve("old-home");
    Files.createDirectories(home.resolve("Documents"));
    Files.writeString(home.resolve("Documents").resolve("report.txt"), "quarterly figures\n");
    Files.createDirectories(home.resolve(".config"));
    Files.write(home.resolve(".config").resolve("app.bin"), new byte[] {0, 1, 2, (byte) 255});
    Run captured =
        untilDone(
                machines.get(10), dpUrl, false, "--source", "client", "--user-state-dir", "" + home)
            .get(0);
    assertEquals(0, captured.exit(), captured.output());
    Path newHome = dir.resolve("new-home");
    // The restore is hidden: offered only when named, as its boot media would name it.
    Run unnamed =
        untilDone(machines.get(11), dpUrl, false, "--user-state-dir", "" + newHome).get(0);
    assertEquals(4, unnamed.exit(), unnamed.output());
    Run restored =
        untilDone(
                machines.get(11),
                dpUrl,
                false,
                "--deployment",
                "e2e-restore",
                "--user-state-dir",
                "" + newHome)
            .get(0);
    assertEquals(0, restored.exit(), restored.output());
    assertEquals(
        "quarterly figures\n",
        Files.readString(newHome.resolve("Documents").resolve("report.txt")));
    assertArrayEquals(
        new byte[] {0, 1, 2, (byte) 255}, Files.readAllBytes(newHome.resolve(".config/app.bin")));
  }

  /**
   * The live page in Debian's chromium while the machines deploy: a thread reads the rollout's
   * counts, the first machine's step and image progress every 200 ms and screenshots the page as
   * they change; at the end the page shows all eight succeeded and the failed machine's output.
   */
  private static final class PageWatch implements AutoCloseable {
    private static final String FIRST = "52:54:00:e2:e0:01";
    private final PageBrowser browser;
    private final String rollout;
    private final String broken;
    private final java.util.Set<String> steps = new java.util.LinkedHashSet<>();
    private final java.util.Set<String> running = new java.util.TreeSet<>();
    private final List<String> images = new ArrayList<>();
    private final java.util.Set<String> sessions = new java.util.LinkedHashSet<>();
    private final Thread thread;
    private volatile boolean stop;

    private PageWatch(String url, String ns) {
      browser = new PageBrowser(url, 1280, 1000);
      rollout = "tbody[data-key='d/" + ns + "/e2e-rollout']";
      broken = "d/" + ns + "/e2e-broken";
      await("the rollout on the page")
          .atMost(OperatorTests.TIMEOUT)
          .until(() -> "8".equals(browser.text(rollout + " [data-count=targeted]")));
      browser.driver().findElement(org.openqa.selenium.By.cssSelector(rollout + " button")).click();
      thread = new Thread(this::read, "page-watch");
      thread.setDaemon(true);
      thread.start();
    }

    /** The watch, or null where there is no browser (a laptop without chromium; not under CI). */
    static PageWatch open(String url, String ns) {
      boolean present =
          Files.isExecutable(PageBrowser.CHROMIUM) && Files.isExecutable(PageBrowser.DRIVER);
      if (!present && !"true".equalsIgnoreCase(System.getenv("CI"))) {
        System.out.println("end-to-end: the live page is not watched: no chromium-driver here");
        return null;
      }
      PageBrowser.require();
      return new PageWatch(url, ns);
    }

    private void read() {
      String machine = rollout + " tr[data-machine='" + FIRST + "']";
      boolean imaging = false;
      while (!stop) {
        try {
          String step = browser.text(machine + " [data-field=step]");
          if (step != null && steps.add(step)) {
            System.out.println("end-to-end: the page shows desk-01 at " + step);
          }
          String r = browser.text(rollout + " [data-count=running]");
          if (r != null) {
            running.add(r);
          }
          String session = browser.text("[data-session]");
          String shown = session == null ? null : session.replaceAll(", starts by.*", "").strip();
          if (shown != null && sessions.add(shown)) {
            System.out.println("end-to-end: the page shows the session " + shown);
          }
          String image = browser.text(machine + " [data-field=image] .small");
          if (image != null && !image.isEmpty()) {
            images.add(image);
            int share = Integer.parseInt(image.substring(0, image.indexOf('%')));
            if (!imaging && share >= 40) {
              imaging = true;
              browser.screenshot("live-page-e2e-imaging");
            }
          }
          Thread.sleep(200);
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException | IOException e) {
          // A row redrawn between finding and reading it; read again.
        }
      }
    }

    /** Stops reading, then checks what the page showed and what it shows now. */
    void finish() throws Exception {
      stop = true;
      thread.join(10_000);
      System.out.println(
          "end-to-end: the page showed desk-01 at "
              + steps
              + ", running counts "
              + running
              + ", sessions "
              + sessions
              + ", image progress "
              + (images.isEmpty()
                  ? "never"
                  : images.get(0) + " .. " + images.get(images.size() - 1)));
      await("all eight succeeded on the page")
          .atMost(OperatorTests.TIMEOUT)
          .until(() -> "8".equals(browser.text(rollout + " [data-count=succeeded]")));
      assertTrue(
          steps.size() >= 3 && steps.contains("all 8 steps done"),
          "desk-01's step changed on the page as its reports arrived: " + steps);
      assertTrue(
          running.stream().anyMatch(r -> !r.equals("0")),
          "the page counted machines running while they ran: " + running);
      String failure = "#failures-table tr[data-deployment='" + broken.substring(2) + "']";
      await("the failed machine with its exit code and output")
          .atMost(OperatorTests.TIMEOUT)
          .until(() -> "3".equals(browser.text(failure + " [data-field=exit]")));
      assertTrue(
          browser.text(failure + " [data-field=output]").contains("no disk controller found"),
          browser.text(failure + " [data-field=output]"));
      assertEquals("1 of 1: Check hardware", browser.text(failure + " [data-field=step]"));
      browser.fullPageScreenshot("live-page-e2e-done", 1280);
    }

    @Override
    public void close() {
      stop = true;
      browser.close();
    }
  }

  /** What one agent run ended with. */
  private record Run(int exit, String output) {
    static final int KILLED = -9;
  }

  /**
   * Runs the agent on {@code m} until it is done: again after each restart (exit 3), as the boot
   * environment would after a reboot; with {@code kill}, the first run is killed once the multicast
   * session has begun.
   */
  private List<Run> untilDone(SiteNetwork.Member m, String dpUrl, boolean kill, String... extra)
      throws Exception {
    Path machineDir = dir.resolve(m.namespace());
    Files.createDirectories(machineDir);
    Path disk = machineDir.resolve("disk.img");
    try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
      f.setLength(Long.getLong("osdeploy.e2e.imageMiB", 256) * MIB + 64 * MIB);
    }
    List<Run> runs = new ArrayList<>();
    for (int attempt = 0; attempt < 4; attempt++) {
      Path log = machineDir.resolve("agent-" + attempt + ".log");
      List<String> agent =
          new ArrayList<>(
              List.of(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-jar",
                  AGENT_JAR.toString(),
                  "run",
                  "--server",
                  dpUrl,
                  "--source",
                  "pxe",
                  "--disk",
                  disk.toString(),
                  "--state-dir",
                  machineDir.resolve("state").toString(),
                  "--non-interactive",
                  "--retry-for",
                  "60",
                  "--multicast-timeout",
                  "300"));
      agent.addAll(List.of(extra));
      List<String> command = m.exec(agent);
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      if (kill && attempt == 0) {
        await()
            .atMost(AGENT_TIMEOUT)
            .pollInterval(Duration.ofMillis(100))
            .until(() -> Files.readString(log).contains("multicast receiver announce"));
        Thread.sleep(1_500);
        p.destroyForcibly();
        p.waitFor();
        runs.add(new Run(Run.KILLED, Files.readString(log)));
        continue;
      }
      if (!p.waitFor(AGENT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(m.mac() + ": agent still running: " + tail(Files.readString(log)));
      }
      runs.add(new Run(p.exitValue(), Files.readString(log)));
      if (p.exitValue() != 3) {
        return runs;
      }
    }
    return runs;
  }

  /** The agent's line about the image it wrote, from the run that wrote it. */
  private static String imageRoute(List<Run> runs) {
    for (Run r : runs) {
      for (String line : r.output().split("\n")) {
        if (line.contains("SHA-256 verified; route")) {
          return line.substring(line.indexOf("route"));
        }
      }
    }
    return "(no image line)";
  }

  private TaskSequenceDeploymentStatus status(String name) {
    TaskSequenceDeployment d =
        client
            .resources(TaskSequenceDeployment.class)
            .inNamespace(operator.getNamespace())
            .withName(name)
            .get();
    if (d.getStatus() == null || d.getStatus().getMachines() == null) {
      throw new AssertionError(name + " has no machine counts yet");
    }
    return d.getStatus();
  }

  private static String counts(TaskSequenceDeploymentStatus s) {
    try {
      return new ObjectMapper().writeValueAsString(s);
    } catch (IOException e) {
      return s.toString();
    }
  }

  private static String partitionSha(Path disk, long size) throws IOException {
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
      return Sha256.of(ch, MIB, size);
    }
  }

  /** How many non-zero bytes the file holds. */
  private static long nonZeroBytes(Path file) throws IOException {
    long nonZero = 0;
    try (InputStream in = Files.newInputStream(file)) {
      byte[] b = new byte[1 << 16];
      int n;
      while ((n = in.read(b)) > 0) {
        for (int i = 0; i < n; i++) {
          if (b[i] != 0) {
            nonZero++;
          }
        }
      }
    }
    return nonZero;
  }

  private static String randomFile(Path file, long size) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    Random random = new Random(20261123);
    byte[] chunk = new byte[(int) MIB];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long written = 0; written < size; written += chunk.length) {
        random.nextBytes(chunk);
        sha.update(chunk);
        out.write(chunk);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static void serve(HttpServer server, String path, Path file) {
    server.createContext(
        path,
        exchange -> {
          exchange.sendResponseHeaders(200, Files.size(file));
          try (OutputStream out = exchange.getResponseBody()) {
            Files.copy(file, out);
          }
        });
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = EndToEndDeploymentIT.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String tail(String log) {
    return log.length() > 3000 ? log.substring(log.length() - 3000) : log;
  }
}
