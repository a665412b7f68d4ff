package io.osdeploy.operator.local;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatus;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.auth.MachineToken;
import io.osdeploy.auth.MachineTokenKeys;
import io.osdeploy.operator.dependent.DaemonResources;
import io.osdeploy.operator.tokens.DeploymentSecretsSecret;
import io.osdeploy.operator.tokens.MachineTokenSecret;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The embedded default's stand-in for a site: the local cluster has no kubelet, so for each
 * distribution point this runs one daemon process on this machine as its node, reports that node's
 * pod as the DaemonSet controller would, and serves the sample OS images from a local stand-in file
 * so that content really flows: pulled, verified, reported.
 */
public final class LocalSite implements AutoCloseable {
  private static final int STAND_IN_BYTES = 32 * 1024 * 1024;

  /** How the image came, in the line {@code osdeploy-daemon receive} ends with. */
  private static final Pattern ROUTE =
      Pattern.compile("multicastBlocks=(\\d+) unicastBytes=(\\d+)");

  private final KubernetesClient client;
  private final Path home;
  private final Path daemonJar;
  private final Path kubeconfig;
  private final HttpServer server;
  private final byte[] standIn;
  private final String standInSha256;
  private final Map<String, Process> daemons = new HashMap<>();

  /** What keeps each node's copy of its deployment secrets; closed with the site. */
  private final List<AutoCloseable> mirrors = new java.util.ArrayList<>();

  private final List<String> notes = new ArrayList<>();

  /**
   * A site whose daemons keep their content and logs under {@code home}, run {@code daemonJar}, and
   * reach the cluster through the {@code kubeconfig} file.
   */
  public LocalSite(KubernetesClient client, Path home, Path daemonJar, Path kubeconfig)
      throws IOException {
    this.client = client;
    this.home = home;
    this.daemonJar = daemonJar;
    this.kubeconfig = kubeconfig;
    this.standIn = new byte[STAND_IN_BYTES];
    new Random(2026).nextBytes(standIn);
    this.standInSha256 = sha256(standIn);
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/images/",
        exchange -> {
          exchange.sendResponseHeaders(200, standIn.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(standIn);
          }
        });
    server.start();
  }

  /** Points every OS image in {@code namespace} at the local stand-in file. */
  void serveImagesLocally(String namespace) {
    for (OSImage image : client.resources(OSImage.class).inNamespace(namespace).list().getItems()) {
      String url =
          "http://127.0.0.1:"
              + server.getAddress().getPort()
              + "/images/"
              + image.getMetadata().getName();
      image.getSpec().getSource().setUrl(url);
      image.getSpec().setSha256(standInSha256);
      image.getSpec().setSizeBytes((long) standIn.length);
      image.getMetadata().setManagedFields(null);
      image.getMetadata().setResourceVersion(null);
      image.setStatus(null);
      client.resource(image).fieldManager("osdeploy-run").forceConflicts().serverSideApply();
      notes.add(
          "OSImage "
              + namespace
              + "/"
              + image.getMetadata().getName()
              + " is served from a local 32 MiB stand-in at "
              + url);
    }
  }

  private final Map<String, String> advertised = new HashMap<>();

  /** Each distribution point's machine-token keys, as its local node reads them. */
  private final Map<String, Path> tokenKeys = new HashMap<>();

  /**
   * The daemon of distribution point {@code dp} listens on loopback as the others do, but names
   * {@code address} in its endpoint: where its machines reach this computer.
   */
  void advertiseAs(String dp, String address) {
    advertised.put(dp, address);
  }

  /**
   * One node per distribution point: a Node object with the labels its selector asks for, and a
   * daemon process on this machine that runs as that node.
   */
  void startNodes() throws IOException, InterruptedException {
    startNodes(null);
  }

  /** As {@link #startNodes()}, for the distribution points of {@code namespace} (null: all). */
  public void startNodes(String namespace) throws IOException, InterruptedException {
    var dps = client.resources(DistributionPoint.class);
    // Nodes whose machines reach this computer at another address (QEMU's user network).
    for (DistributionPoint dp :
        (namespace == null ? dps.inAnyNamespace() : dps.inNamespace(namespace)).list().getItems()) {
      String node = "local-" + dp.getMetadata().getName();
      Map<String, String> labels = new HashMap<>();
      if (dp.getSpec().getNodeSelector() != null) {
        labels.putAll(dp.getSpec().getNodeSelector());
      }
      labels.put("kubernetes.io/hostname", node);
      client
          .resource(
              new NodeBuilder()
                  .withNewMetadata()
                  .withName(node)
                  .withLabels(labels)
                  .endMetadata()
                  .build())
          .fieldManager("osdeploy-run")
          .forceConflicts()
          .serverSideApply();
      Path content = home.resolve("nodes").resolve(node).resolve("content");
      Files.createDirectories(content);
      Path log = home.resolve("nodes").resolve(node).resolve("daemon.log");
      // As a pod has them mounted: the keys that sign and check machines' tokens.
      Path keys = home.resolve("nodes").resolve(node).resolve("machine-tokens");
      if (!MachineTokenSecret.writeKeys(client, dp, keys, Duration.ofSeconds(60))) {
        notes.add(
            "DistributionPoint "
                + dp.getMetadata().getName()
                + " has no machine-token keys yet; its node signs with a key of its own");
      }
      tokenKeys.put(dp.getMetadata().getName(), keys);
      // And, kept up to date as the kubelet keeps a mount, the values deployments hand machines.
      Path secrets = home.resolve("nodes").resolve(node).resolve("deployment-secrets");
      mirrors.add(DeploymentSecretsSecret.mirror(client, dp, secrets));
      Process p =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-jar",
                  daemonJar.toString(),
                  "--node=" + node,
                  "--namespace=" + dp.getMetadata().getNamespace(),
                  "--configmap=" + DaemonResources.name(dp),
                  "--kubeconfig=" + kubeconfig,
                  "--http-port=0",
                  "--bind-address=127.0.0.1",
                  "--advertise-address="
                      + advertised.getOrDefault(dp.getMetadata().getName(), "127.0.0.1"),
                  "--content-path=" + content,
                  "--token-keys=" + keys,
                  "--deployment-secrets=" + secrets)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      daemons.put(node, p);
      notes.add(
          "Node "
              + node
              + " runs DistributionPoint "
              + dp.getMetadata().getNamespace()
              + "/"
              + dp.getMetadata().getName()
              + "'s daemon as a local process (log: "
              + log
              + ")");
    }
  }

  /**
   * Shows multicast working: as many local receivers as each distribution point's sessions wait for
   * ({@code sessionStart.minClients}, at most 8) fetch each of its images through its node's join
   * endpoint with {@code osdeploy-daemon receive}, multicast on loopback with unicast to finish.
   * Returns one line per image saying how it went.
   */
  List<String> multicastToLocalReceivers() throws IOException, InterruptedException {
    List<String> lines = new ArrayList<>();
    for (LocalProcesses.Site site : LocalProcesses.multicastSites(client)) {
      lines.addAll(multicastToLocalReceivers(site));
    }
    return lines;
  }

  /** As {@link #multicastToLocalReceivers()}, for one distribution point. */
  List<String> multicastToLocalReceivers(LocalProcesses.Site site)
      throws IOException, InterruptedException {
    List<String> lines = new ArrayList<>();
    String endpoint = site.dp().getStatus().getNodes().get(0).getEndpoint();
    for (String image : site.dp().getSpec().getOsImages().getNames()) {
      lines.add(
          receive(
              endpoint, image, site.machines(), tokenKeys.get(site.dp().getMetadata().getName())));
    }
    return lines;
  }

  /**
   * The receivers stand in for machines a deployment targets: each gets a token for {@code image}
   * signed with the distribution point's keys, as its boot script would hand it one.
   */
  private String receive(String endpoint, String image, int receivers, Path keys)
      throws IOException, InterruptedException {
    Path dir = home.resolve("receivers");
    Files.createDirectories(dir);
    MachineTokenKeys signing = keys == null ? null : MachineTokenKeys.fromDirectory(keys);
    List<LocalProcesses.Launch> launches = new ArrayList<>();
    for (int i = 1; i <= receivers; i++) {
      Path token = dir.resolve(image + "-" + i + ".token");
      if (signing != null && !signing.isEmpty()) {
        java.time.Instant now = java.time.Instant.now();
        Files.writeString(
            token,
            signing.sign(
                new MachineToken(
                    signing.signing(now).id(),
                    String.format("02:00:00:00:00:%02x", i),
                    null,
                    "client",
                    List.of(),
                    List.of(image),
                    now.getEpochSecond(),
                    now.plus(MachineTokenKeys.TOKEN_LIFETIME).getEpochSecond())));
      }
      launches.add(
          new LocalProcesses.Launch(
              List.of(
                  "receive",
                  "--server=" + endpoint,
                  "--image=" + image,
                  "--out=" + dir.resolve(image + "-" + i + ".img"),
                  "--token-file=" + token,
                  "--client=" + String.format("02:00:00:00:00:%02x", i),
                  "--interface=lo",
                  "--multicast-timeout=120"),
              dir.resolve(image + "-" + i + ".log")));
    }
    LocalProcesses.Summary ran = LocalProcesses.run(daemonJar, launches, ROUTE);
    for (int i = 1; i <= receivers; i++) {
      Files.deleteIfExists(dir.resolve(image + "-" + i + ".img"));
    }
    return String.format(
        java.util.Locale.ROOT,
        "Multicast: %s to %d local receivers through %s in %.1f s: %d of %d verified by SHA-256"
            + " (%d blocks by multicast, %d bytes by unicast; logs in %s)",
        image,
        receivers,
        endpoint,
        ran.seconds(),
        ran.succeeded(),
        receivers,
        ran.multicastBlocks(),
        ran.unicastBytes(),
        dir);
  }

  /**
   * What the DaemonSet controller and kubelet would report: one pod per DaemonSet, running the
   * latest template, ready while its daemon process lives.
   */
  void reportPods() {
    reportPods(null);
  }

  /** As {@link #reportPods()}, for the DaemonSets of {@code namespace} (null: all). */
  public void reportPods(String namespace) {
    var daemonSets = client.apps().daemonSets();
    for (DaemonSet ds :
        (namespace == null ? daemonSets.inAnyNamespace() : daemonSets.inNamespace(namespace))
            .withLabel("app.kubernetes.io/managed-by", "osdeploy-operator")
            .list()
            .getItems()) {
      String node = "local-" + ds.getMetadata().getLabels().get("app.kubernetes.io/instance");
      Process daemon = daemons.get(node);
      int ready = daemon != null && daemon.isAlive() ? 1 : 0;
      DaemonSetStatus wanted =
          new DaemonSetStatusBuilder()
              .withDesiredNumberScheduled(1)
              .withCurrentNumberScheduled(1)
              .withUpdatedNumberScheduled(1)
              .withNumberReady(ready)
              .withNumberAvailable(ready)
              .withNumberMisscheduled(0)
              .withObservedGeneration(ds.getMetadata().getGeneration())
              .build();
      if (!Objects.equals(wanted, ds.getStatus())) {
        ds.setStatus(wanted);
        client.resource(ds).updateStatus();
      }
    }
  }

  List<String> notes() {
    return notes;
  }

  @Override
  public void close() {
    for (AutoCloseable mirror : mirrors) {
      try {
        mirror.close();
      } catch (Exception e) {
        // Closing an informer fails only when it is closed already.
      }
    }
    for (Process p : daemons.values()) {
      p.destroy();
      try {
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    server.stop(0);
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
