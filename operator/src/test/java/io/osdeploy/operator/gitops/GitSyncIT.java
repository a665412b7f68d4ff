package io.osdeploy.operator.gitops;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.Condition;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OsdeployStatus;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.operator.OsdeployOperator;
import io.osdeploy.operator.local.Crds;
import io.osdeploy.operator.local.LocalSite;
import io.osdeploy.operator.media.BootFiles;
import io.osdeploy.operator.testing.GitOpsSync;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.Prerequisites;
import io.osdeploy.operator.testing.TestCluster;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A git repository holding {@code samples/}, synced commit by commit into a real kube-apiserver the
 * way Flux's kustomize-controller does it ({@link GitOpsSync}: render, server-side apply with one
 * field manager, prune by inventory), with the operator running and the run command's local site
 * standing in for the distribution point's node (a real daemon process per node).
 *
 * <ol>
 *   <li>The samples: every resource goes Ready.
 *   <li>A new version of the OS image, and the boot media removed from git: the media is pruned
 *       (deleted, its artifact no longer served), the image reads Reconciling while the node pulls
 *       the new version and Ready once it holds it verified.
 *   <li>An invalid image checksum beside a valid change: the sync fails naming the file and the
 *       field, and applies nothing: what runs stays as it was, Ready.
 * </ol>
 *
 * The sample image's URL points at a server on the internet that does not exist, so the commits
 * point it at a local server, as a site would at its own file server.
 */
class GitSyncIT {
  private static final String NS = "osdeploy-samples";
  private static final String SYNC_NS = "gitops-sync-it";
  private static final Path SAMPLES = Path.of("..", "samples");
  private static final Duration READY = Duration.ofMinutes(3);
  private static final int IMAGE_BYTES = 8 * 1024 * 1024;

  private final KubernetesClient client = TestCluster.client();
  private final KubernetesClient operatorClient = TestCluster.newClient();
  private final Map<String, AtomicInteger> downloads = new ConcurrentHashMap<>();
  private final CountDownLatch releaseVersion2 = new CountDownLatch(1);
  private final byte[] version1 = bytes(1);
  private final byte[] version2 = bytes(2);
  private Operator operator;
  private LocalSite site;
  private HttpServer images;
  private ScheduledExecutorService kubelet;

  @AfterEach
  void tearDown() {
    releaseVersion2.countDown();
    if (kubelet != null) {
      kubelet.shutdownNow();
    }
    if (site != null) {
      site.close();
    }
    client.namespaces().withName(NS).delete();
    client.namespaces().withName(SYNC_NS).delete();
    client.nodes().withName("local-site-berlin").delete();
    if (operator != null) {
      // Still running while the namespace goes, to lift the finalizer of any media left.
      await()
          .atMost(OperatorTests.TIMEOUT)
          .until(
              () ->
                  client
                      .resources(BootableMedia.class)
                      .inNamespace(NS)
                      .list()
                      .getItems()
                      .isEmpty());
      operator.stop();
    }
    operatorClient.close();
    if (images != null) {
      images.stop(0);
    }
    // SamplesIT applies the samples to the same namespace; other tests install the CRDs their own
    // way (another field manager): leave the cluster without either.
    await()
        .atMost(OperatorTests.TIMEOUT)
        .until(
            () ->
                client.namespaces().withName(NS).get() == null
                    && client.namespaces().withName(SYNC_NS).get() == null);
    OperatorTests.removeCrds(client);
  }

  @Test
  void commitsSyncToReadyPruneWhatIsGoneAndAnInvalidCommitChangesNothing() throws Exception {
    Prerequisites.require(canRun("git", "--version"), "git (scripts/prereqs.sh installs it)");
    Prerequisites.require(
        BootFiles.debian().missing().isEmpty(),
        "boot media tools: " + BootFiles.debian().missing());
    Path daemonJar =
        Path.of("..", "multicast-daemon", "target", "osdeploy-daemon.jar").toAbsolutePath();
    Prerequisites.require(
        Files.isRegularFile(daemonJar), "the daemon jar (build multicast-daemon first)");
    Crds.install(client);
    client
        .resource(new NamespaceBuilder().withNewMetadata().withName(SYNC_NS).endMetadata().build())
        .serverSideApply();
    String imageBase = serveImages();
    operator = OsdeployOperator.create(operatorClient, OperatorTests.media().store());
    operator.start();

    Path repo = Files.createTempDirectory("gitops-repo-");
    GitOpsSync.git(repo, "init", "--quiet", "--initial-branch=main");
    GitOpsSync sync = new GitOpsSync(client, repo, ".", "site-berlin", SYNC_NS);

    // 1. The samples, their image served here.
    try (Stream<Path> files = Files.list(SAMPLES)) {
      for (Path f : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
        Files.copy(f, repo.resolve(f.getFileName()));
      }
    }
    edit(
        repo.resolve("osimage.yaml"),
        Map.of(
            "url", imageBase + "win11-24h2-v1.wim",
            "sha256", sha256(version1),
            "sizeBytes", Integer.toString(IMAGE_BYTES)));
    String first = commit(repo, "The samples, the image from the site's file server");

    GitOpsSync.Result synced = sync.sync(first);
    assertEquals(
        List.of(
            "namespace.yaml: Namespace osdeploy-samples",
            "osimage.yaml: OSImage osdeploy-samples/win11-24h2",
            "distributionpoint.yaml: DistributionPoint osdeploy-samples/site-berlin",
            "tasksequencedeployment.yaml: TaskSequenceDeployment osdeploy-samples/win11-bare-metal",
            "bootablemedia.yaml: BootableMedia osdeploy-samples/berlin-bare-metal-usb"),
        synced.applied());
    OSImage stored = get(OSImage.class, "win11-24h2");
    assertEquals("site-berlin", stored.getMetadata().getLabels().get(GitOpsSync.LABEL));
    assertTrue(
        stored.getMetadata().getManagedFields().stream()
            .anyMatch(f -> f.getManager().equals(GitOpsSync.FIELD_MANAGER)),
        "applied with the sync's field manager");

    // The run command's stand-in for the site: a node and its daemon, and the pod it would run.
    Path kubeconfig = Files.createTempFile("gitops-sync-it", ".kubeconfig");
    Files.writeString(kubeconfig, TestCluster.kubeConfigYaml());
    site =
        new LocalSite(
            client, Files.createTempDirectory("gitops-sync-site-"), daemonJar, kubeconfig);
    site.startNodes(NS);
    kubelet = Executors.newSingleThreadScheduledExecutor();
    kubelet.scheduleWithFixedDelay(() -> reportPods(), 0, 500, TimeUnit.MILLISECONDS);

    awaitReady(OSImage.class, "win11-24h2", "Distributed");
    awaitReady(DistributionPoint.class, "site-berlin", "ContentVerified");
    awaitReady(TaskSequenceDeployment.class, "win11-bare-metal", "ContentReady");
    BootableMedia media = awaitReady(BootableMedia.class, "berlin-bare-metal-usb", "Built");
    String mediaUrl = media.getStatus().getArtifact().getUrl();
    assertEquals(200, status(mediaUrl), "the media is served: " + mediaUrl);

    // 2. A new image version, and no more boot media in git.
    GitOpsSync.git(repo, "rm", "--quiet", "bootablemedia.yaml");
    Path kustomization = repo.resolve("kustomization.yaml");
    Files.writeString(
        kustomization, Files.readString(kustomization).replace("  - bootablemedia.yaml\n", ""));
    edit(
        repo.resolve("osimage.yaml"),
        Map.of(
            "url",
            imageBase + "win11-24h2-v2.wim",
            "sha256",
            sha256(version2),
            "osVersion",
            "Windows 11 Enterprise 24H2 (2026-05)"));
    String second = commit(repo, "Windows 11 24H2, May update; the USB media retired");
    long generation1 = get(OSImage.class, "win11-24h2").getMetadata().getGeneration();

    synced = sync.sync(second);
    assertEquals(
        List.of("osdeploy.io/v1alpha1|BootableMedia|osdeploy-samples|berlin-bare-metal-usb"),
        synced.pruned());
    await()
        .atMost(OperatorTests.TIMEOUT)
        .until(() -> get(BootableMedia.class, "berlin-bare-metal-usb") == null);
    await().atMost(OperatorTests.TIMEOUT).until(() -> status(mediaUrl) == 404);

    // The download of the new version is held until the image has said it is not Ready: the
    // order below is the operator's, not a race won.
    OSImage updating =
        awaitCondition(OSImage.class, "win11-24h2", "Reconciling", "True", OperatorTests.TIMEOUT);
    assertNotEquals(generation1, updating.getMetadata().getGeneration());
    assertEquals("False", condition(updating, "Ready").getStatus(), "not Ready while it pulls");
    releaseVersion2.countDown();
    OSImage updated = awaitReady(OSImage.class, "win11-24h2", "Distributed");
    assertEquals(sha256(version2), updated.getSpec().getSha256());
    assertEquals("Windows 11 Enterprise 24H2 (2026-05)", updated.getSpec().getOsVersion());
    assertEquals(List.of("site-berlin"), updated.getStatus().getVerifiedOn());
    assertTrue(downloads.get("win11-24h2-v2.wim").get() >= 1, "the node pulled the new version");
    awaitReady(DistributionPoint.class, "site-berlin", "ContentVerified");
    awaitReady(TaskSequenceDeployment.class, "win11-bare-metal", "ContentReady");

    // 3. An MD5 where the SHA-256 goes, beside a valid change to the distribution point.
    edit(repo.resolve("osimage.yaml"), Map.of("sha256", "d41d8cd98f00b204e9800998ecf8427e"));
    Path dpFile = repo.resolve("distributionpoint.yaml");
    Files.writeString(dpFile, Files.readString(dpFile).replace("maxClients: 50", "maxClients: 40"));
    String third = commit(repo, "An MD5 checksum, and fewer multicast clients");
    DistributionPoint dpBefore = get(DistributionPoint.class, "site-berlin");
    OSImage imageBefore = get(OSImage.class, "win11-24h2");

    GitOpsSync.SyncFailed failed =
        assertThrows(GitOpsSync.SyncFailed.class, () -> sync.sync(third));
    assertEquals(1, failed.errors().size(), failed.getMessage());
    String error = failed.errors().get(0);
    assertTrue(
        error.startsWith("osimage.yaml: OSImage osdeploy-samples/win11-24h2: "),
        failed.getMessage());
    assertTrue(error.contains("spec.sha256"), "names the field: " + error);
    assertTrue(failed.getMessage().contains(third), "names the revision: " + failed.getMessage());
    assertEquals(second, sync.lastAppliedRevision(), "the last good revision stays the synced one");

    DistributionPoint dpAfter = get(DistributionPoint.class, "site-berlin");
    assertEquals(dpBefore.getMetadata().getGeneration(), dpAfter.getMetadata().getGeneration());
    assertEquals(50, dpAfter.getSpec().getMulticast().getMaxClients(), "nothing of it applied");
    OSImage imageAfter = get(OSImage.class, "win11-24h2");
    assertEquals(
        imageBefore.getMetadata().getGeneration(), imageAfter.getMetadata().getGeneration());
    assertEquals(sha256(version2), imageAfter.getSpec().getSha256());
    for (var r :
        List.<CustomResource<?, ? extends OsdeployStatus>>of(
            imageAfter, dpAfter, get(TaskSequenceDeployment.class, "win11-bare-metal"))) {
      assertEquals("True", condition(r, "Ready").getStatus(), r.getKind() + " still Ready");
      assertEquals(r.getMetadata().getGeneration(), r.getStatus().getObservedGeneration());
    }
  }

  private void reportPods() {
    try {
      site.reportPods(NS);
    } catch (RuntimeException e) {
      // A conflict with the operator's own write: the next round writes it again.
    }
  }

  /** Serves both versions of the image; the second only once released. Returns the base URL. */
  private String serveImages() throws IOException {
    images = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    images.setExecutor(Executors.newFixedThreadPool(4));
    images.createContext(
        "/images/",
        exchange -> {
          String name = exchange.getRequestURI().getPath().substring("/images/".length());
          downloads.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
          byte[] body =
              switch (name) {
                case "win11-24h2-v1.wim" -> version1;
                case "win11-24h2-v2.wim" -> {
                  try {
                    releaseVersion2.await(5, TimeUnit.MINUTES);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  yield version2;
                }
                default -> null;
              };
          try (exchange) {
            if (body == null) {
              exchange.sendResponseHeaders(404, -1);
              return;
            }
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          }
        });
    images.start();
    return "http://127.0.0.1:" + images.getAddress().getPort() + "/images/";
  }

  private <T extends CustomResource<?, ? extends OsdeployStatus>> T get(
      Class<T> kind, String name) {
    return client.resources(kind).inNamespace(NS).withName(name).get();
  }

  private <T extends CustomResource<?, ? extends OsdeployStatus>> T awaitReady(
      Class<T> kind, String name, String reason) {
    T ready = awaitCondition(kind, name, "Ready", "True", READY);
    assertEquals(reason, condition(ready, "Ready").getReason(), kind.getSimpleName() + "/" + name);
    return ready;
  }

  /** Waits until {@code type} has {@code status} for the resource's latest generation. */
  private <T extends CustomResource<?, ? extends OsdeployStatus>> T awaitCondition(
      Class<T> kind, String name, String type, String status, Duration atMost) {
    await()
        .atMost(atMost)
        .untilAsserted(
            () -> {
              T r = get(kind, name);
              assertNotNull(r, kind.getSimpleName() + "/" + name);
              Condition c = condition(r, type);
              assertEquals(status, c.getStatus(), kind.getSimpleName() + "/" + name + ": " + c);
              assertEquals(r.getMetadata().getGeneration(), c.getObservedGeneration());
              assertEquals(r.getMetadata().getGeneration(), r.getStatus().getObservedGeneration());
            });
    return get(kind, name);
  }

  private static Condition condition(CustomResource<?, ? extends OsdeployStatus> r, String type) {
    return r.getStatus()
        .condition(type)
        .orElseThrow(() -> new AssertionError(r.getKind() + ": no " + type + " condition yet"));
  }

  /** Sets each {@code key: value} line of a YAML file (keys that occur once). */
  private static void edit(Path file, Map<String, String> values) throws IOException {
    String yaml = Files.readString(file);
    for (var v : values.entrySet()) {
      String replaced =
          yaml.replaceFirst(
              "(?m)^(\\s*" + v.getKey() + ": ).*$",
              "$1" + java.util.regex.Matcher.quoteReplacement(v.getValue()));
      assertNotEquals(yaml, replaced, file + ": no " + v.getKey());
      yaml = replaced;
    }
    Files.writeString(file, yaml);
  }

  private static String commit(Path repo, String message) throws Exception {
    GitOpsSync.git(repo, "add", "--all");
    GitOpsSync.git(
        repo,
        "-c",
        "user.name=Site Berlin",
        "-c",
        "user.email=site-berlin@example.com",
        "commit",
        "--quiet",
        "-m",
        message);
    return GitOpsSync.git(repo, "rev-parse", "HEAD");
  }

  private static int status(String url) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(url))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static boolean canRun(String... command) {
    try {
      return new ProcessBuilder(command).start().waitFor() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  private static byte[] bytes(long seed) {
    byte[] b = new byte[IMAGE_BYTES];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
