package io.osdeploy.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.digest.Sha256;
import io.osdeploy.operator.testing.BootEnvironmentBuild;
import io.osdeploy.operator.testing.ContainerEngines;
import io.osdeploy.operator.testing.ImageBuild;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.TestCluster;
import java.io.ByteArrayInputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's and the daemon's images, built by {@code deploy/images/build.sh} as the README
 * says, loaded into Docker and containerd engines of the test's own, and run under Docker as their
 * manifests run them: as user 65532, on a read-only root with {@code /tmp} writable, on the host's
 * network. The operator reconciles against the real API server, takes the Lease and builds boot
 * media with the tools in its image; the daemon serves the boot environment it ships. Needs root
 * and Debian's docker.io.
 */
class ImagesIT {
  private static final Path OUT = Path.of("target", "images").toAbsolutePath();
  private static Map<String, ImageBuild.Image> images;

  private final KubernetesClient client = TestCluster.client();
  private final String ns = "images-it-" + UUID.randomUUID().toString().substring(0, 8);

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  @BeforeAll
  static void build() throws Exception {
    ContainerEngines.requirePrerequisites();
    images = ImageBuild.build(OUT);
    assertEquals(2, images.size(), images.toString());
  }

  @AfterEach
  void deleteNamespace() {
    client.namespaces().withName(ns).delete();
  }

  @Test
  void theSameInputsGiveTheSameImage() throws Exception {
    Map<String, ImageBuild.Image> again = ImageBuild.build(dir.resolve("again"), "operator");
    assertEquals(images.get("operator").id(), again.get("operator").id());
    assertEquals(
        -1L,
        Files.mismatch(images.get("operator").archive(), again.get("operator").archive()),
        "the archives are the same bytes");
  }

  @Test
  void dockerAndContainerdLoadBothImagesUnderTheTagsDeployNames() throws Exception {
    try (ContainerEngines.Docker docker = ContainerEngines.Docker.start(dir.resolve("docker"))) {
      for (ImageBuild.Image image : images.values()) {
        String loaded = docker.ok("load", "--input", image.archive().toString());
        assertTrue(loaded.contains("Loaded image: " + image.tag()), loaded);
        assertEquals(
            image.id() + " 65532:65532",
            docker.ok("image", "inspect", "--format", "{{.Id}} {{.Config.User}}", image.tag()));
      }
    }
    try (ContainerEngines.Containerd containerd =
        ContainerEngines.Containerd.start(dir.resolve("containerd"))) {
      for (ImageBuild.Image image : images.values()) {
        ContainerEngines.Result imported =
            containerd.ctr("images", "import", image.archive().toString());
        assertEquals(0, imported.status(), imported.output());
        String listed = containerd.ctr("images", "list", "--quiet").output();
        assertTrue(listed.contains("docker.io/" + image.tag()), listed);
      }
    }
    String kustomization = Files.readString(Path.of("..", "deploy", "kustomization.yaml"));
    String version = images.get("operator").tag().split(":")[1];
    assertTrue(
        kustomization.contains("newName: osdeploy/operator")
            && kustomization.contains("newTag: " + version),
        "deploy/ names the built operator image:\n" + kustomization);
    assertTrue(
        Files.readString(Path.of("..", "deploy", "operator.yaml"))
            .contains("value: " + images.get("daemon").tag()),
        "deploy/ names the built daemon image");
  }

  @Test
  void theDaemonImageServesTheBootEnvironmentItShipsAsItsUserOnAReadOnlyRoot() throws Exception {
    int port = freePort();
    Path config = configDir();
    Files.writeString(
        config.resolve("daemon.json"),
        """
        {"namespace": "site", "distributionPoint": "berlin", "generation": 1,
         "contentPath": "/tmp/content", "httpPort": %d, "images": []}
        """
            .formatted(port));
    readable(config.resolve("daemon.json"));
    try (ContainerEngines.Docker docker = ContainerEngines.Docker.start(dir.resolve("docker"))) {
      ImageBuild.Image image = images.get("daemon");
      docker.ok("load", "--input", image.archive().toString());
      String id =
          docker.ok(
              "run",
              "--detach",
              "--network=host",
              "--read-only",
              "--tmpfs=/tmp",
              "--cap-drop=ALL",
              "--volume=" + config + ":/etc/osdeploy-test:ro",
              image.tag(),
              "--node=node-a",
              "--config=/etc/osdeploy-test/daemon.json",
              "--bind-address=127.0.0.1",
              "--advertise-address=127.0.0.1");
      URI base = URI.create("http://127.0.0.1:" + port);
      await("the daemon container answering")
          .atMost(Duration.ofMinutes(2))
          .untilAsserted(
              () -> {
                if (!"true".equals(docker.ok("inspect", "--format", "{{.State.Running}}", id))) {
                  throw new IllegalStateException("the container stopped: " + logs(docker, id));
                }
                assertEquals(200, status(base.resolve("/healthz")), () -> logs(docker, id));
              });
      Path be = BootEnvironmentBuild.bootEnvironment();
      for (String file : new String[] {"vmlinuz", "initrd.img"}) {
        byte[] served =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(base.resolve("/boot/" + file)).build(),
                    HttpResponse.BodyHandlers.ofByteArray())
                .body();
        assertEquals(
            Sha256.of(be.resolve(file)),
            java.util.HexFormat.of().formatHex(Sha256.newDigest().digest(served)),
            file + " is the built boot environment's");
      }
      assertEquals(65532, uidOf(docker, id), "the daemon runs as the image's user");
      // The DaemonSet's init container: busybox's chown, as root with CHOWN only.
      Path content = Files.createDirectories(dir.resolve("content"));
      docker.ok(
          "run",
          "--rm",
          "--network=none",
          "--read-only",
          "--user=0",
          "--cap-drop=ALL",
          "--cap-add=CHOWN",
          "--entrypoint=chown",
          "--volume=" + content + ":/content",
          image.tag(),
          "65532:65532",
          "/content");
      assertEquals(65532, Files.getAttribute(content, "unix:uid"));
    }
  }

  @Test
  void theOperatorImageTakesTheLeaseAndBuildsMediaWithTheToolsItShips() throws Exception {
    OperatorTests.applyCrds(client);
    client
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .create();
    int port = freePort();
    int opsPort = freePort();
    int pagePort = freePort();
    Path config = configDir();
    Files.writeString(config.resolve("kubeconfig"), selfContained(TestCluster.kubeConfigYaml()));
    readable(config.resolve("kubeconfig"));
    try (ContainerEngines.Docker docker = ContainerEngines.Docker.start(dir.resolve("docker"))) {
      ImageBuild.Image image = images.get("operator");
      docker.ok("load", "--input", image.archive().toString());
      String id =
          docker.ok(
              "run",
              "--detach",
              "--network=host",
              "--read-only",
              "--tmpfs=/tmp",
              "--tmpfs=/home/osdeploy",
              "--tmpfs=/var/lib/osdeploy/media:uid=65532,gid=65532",
              "--cap-drop=ALL",
              "--volume=" + config + ":/etc/osdeploy-test:ro",
              "--env=KUBERNETES_SERVICE_HOST=127.0.0.1",
              "--env=POD_NAMESPACE=" + ns,
              "--env=POD_NAME=operator-image-0",
              "--env=OSDEPLOY_WATCH_NAMESPACES=" + ns,
              "--env=OSDEPLOY_MEDIA_PORT=" + port,
              "--env=OSDEPLOY_OPS_PORT=" + opsPort,
              "--env=OSDEPLOY_PAGE_PORT=" + pagePort,
              "--env=OSDEPLOY_MEDIA_URL=http://127.0.0.1:" + port,
              "--env=JAVA_TOOL_OPTIONS=-Dkubeconfig=/etc/osdeploy-test/kubeconfig"
                  + " -Duser.home=/home/osdeploy",
              image.tag());
      URI ops = URI.create("http://127.0.0.1:" + opsPort);
      await("the operator container ready")
          .atMost(Duration.ofMinutes(3))
          .untilAsserted(
              () -> {
                if (!"true".equals(docker.ok("inspect", "--format", "{{.State.Running}}", id))) {
                  throw new IllegalStateException("the container stopped: " + logs(docker, id));
                }
                assertEquals(200, status(ops.resolve("/readyz")), () -> logs(docker, id));
              });
      // The live page ships in the image: its HTML from the jar, on its own port.
      assertEquals(200, status(URI.create("http://127.0.0.1:" + pagePort + "/page.js")));
      await("the operator container holding the Lease")
          .atMost(OperatorTests.TIMEOUT)
          .until(
              () -> {
                Lease lease =
                    client.leases().inNamespace(ns).withName(OsdeployOperator.LEASE_NAME).get();
                return lease != null
                    && lease.getSpec().getHolderIdentity() != null
                    && lease.getSpec().getHolderIdentity().startsWith("operator-image-0-");
              });
      assertEquals(65532, uidOf(docker, id), "the operator runs as the image's user");

      client
          .load(
              new ByteArrayInputStream(
                  String.join(
                          "\n",
                          "apiVersion: osdeploy.io/v1alpha1",
                          "kind: BootableMedia",
                          "metadata: {name: site-cd, namespace: " + ns + "}",
                          "spec:",
                          "  type: Iso",
                          "  bootServers: ['http://10.0.0.5:9080']")
                      .getBytes(StandardCharsets.UTF_8)))
          .create();
      BootableMedia media =
          OperatorTests.awaitCondition(
              client,
              ns,
              BootableMedia.class,
              "site-cd",
              "Ready",
              "True",
              "Built",
              () -> logs(docker, id));
      String url = media.getStatus().getArtifact().getUrl();
      HttpResponse<byte[]> iso =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(url)).build(),
                  HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, iso.statusCode(), url);
      assertEquals(
          "CD001", new String(iso.body(), 0x8001, 5, StandardCharsets.US_ASCII), "an ISO 9660");
    }
  }

  /** The kubeconfig with the files it names (certificates, key) written into it. */
  private static String selfContained(String kubeconfig) throws Exception {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile(
                "(?m)^(\\s*)(certificate-authority|client-certificate|client-key): *\"?([^\"\\n]+)\"?$")
            .matcher(kubeconfig);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String data =
          java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(Path.of(m.group(3))));
      m.appendReplacement(out, m.group(1) + m.group(2) + "-data: " + data);
    }
    m.appendTail(out);
    return out.toString();
  }

  /** A directory the containers' user may read, for files mounted into them. */
  private Path configDir() throws Exception {
    Path config = Files.createDirectories(dir.resolve("config"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rwxr-xr-x"));
    return config;
  }

  private static void readable(Path file) throws Exception {
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
  }

  private static int uidOf(ContainerEngines.Docker docker, String id) throws Exception {
    String pid = docker.ok("inspect", "--format", "{{.State.Pid}}", id);
    for (String line : Files.readAllLines(Path.of("/proc", pid, "status"))) {
      if (line.startsWith("Uid:")) {
        return Integer.parseInt(line.split("\\s+")[1]);
      }
    }
    throw new AssertionError("no Uid line for process " + pid);
  }

  private static String logs(ContainerEngines.Docker docker, String id) {
    try {
      return docker.docker("logs", id).output();
    } catch (Exception e) {
      return "(no logs: " + e + ")";
    }
  }

  /** The status code of {@code GET uri}; -1 when nothing answers. */
  private static int status(URI uri) throws InterruptedException {
    try {
      return HttpClient.newHttpClient()
          .send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (java.io.IOException e) {
      return -1;
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
