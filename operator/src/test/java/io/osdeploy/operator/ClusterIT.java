package io.osdeploy.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.Condition;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.api.v1alpha1.NodeStatus;
import io.osdeploy.api.v1alpha1.OsdeployStatus;
import io.osdeploy.digest.Sha256;
import io.osdeploy.operator.testing.ContainerEngines;
import io.osdeploy.operator.testing.ImageBuild;
import io.osdeploy.operator.testing.KubeletCluster;
import io.osdeploy.operator.testing.TestFiles;
import io.osdeploy.testing.NetnsLan;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * osdeploy installed and run as a user does, on a cluster with a real node ({@link
 * KubeletCluster}): the images built by {@code deploy/images/build.sh} and imported into the node's
 * containerd, {@code deploy/} applied with kubectl as {@code docs/gitops/README.md} says, a site
 * applied from YAML, an upgrade to new image tags, and {@code kubectl delete -k}. The steps build
 * on each other, in order. Needs root, Debian's containerd, runc and CNI plugins, and the kubelet
 * that {@code scripts/k8s-test-binaries.sh} builds.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  private static final Path DIR = Path.of("target", "cluster-it").toAbsolutePath();
  private static final String SYSTEM = "osdeploy-system";
  private static final String SITE = "cluster-site";
  private static final String SITE_LABEL = "osdeploy.io/site";
  private static final String UPGRADE_TAG = "0.1.0-upgrade";
  private static final byte[] IMAGE = new byte[8 << 20];

  private static KubeletCluster cluster;
  private static KubernetesClient client;
  private static HttpServer source;
  private static final AtomicInteger imageDownloads = new AtomicInteger();
  private static Map<String, ImageBuild.Image> images;

  @BeforeAll
  static void startCluster() throws Exception {
    KubeletCluster.requirePrerequisites();
    // A clean start: no content or media left by an earlier run.
    TestFiles.deleteRecursively(DIR);
    images = ImageBuild.build(Path.of("target", "images").toAbsolutePath());
    cluster = KubeletCluster.start(DIR);
    client = cluster.client();
    for (ImageBuild.Image image : images.values()) {
      cluster.ctr("images", "import", image.archive().toString()).orThrow(List.of("ctr import"));
    }
    new Random(7).nextBytes(IMAGE);
    source = HttpServer.create(new InetSocketAddress(KubeletCluster.HOST, 0), 0);
    source.createContext(
        "/test.img",
        exchange -> {
          imageDownloads.incrementAndGet();
          exchange.sendResponseHeaders(200, IMAGE.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(IMAGE);
          }
        });
    source.start();
  }

  @AfterAll
  static void stopCluster() {
    if (source != null) {
      source.stop(0);
    }
    if (client != null) {
      client.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void installsAsTheGuideSays() throws Exception {
    // A cluster without a StorageClass: the volume docs/gitops/media-volume.yaml describes, in a
    // directory of the test's own.
    Path media = Files.createDirectories(DIR.resolve("media"));
    ContainerEngines.Result chown = cluster.runOnNode("chown", "65532:65532", media.toString());
    assertEquals(0, chown.status(), chown.output());
    Path volume = DIR.resolve("media-volume.yaml");
    Files.writeString(
        volume,
        Files.readString(REPO.resolve("docs/gitops/media-volume.yaml"))
            .replace("/var/lib/osdeploy/media", media.toString()));
    kubectl("apply", "-f", volume.toString());

    kubectl("apply", "--server-side", "-k", "deploy/");
    // The site keeps its content in the test's directory: allowed as the guide says.
    kubectl(
        "-n",
        SYSTEM,
        "set",
        "env",
        "deployment/osdeploy-operator",
        "OSDEPLOY_CONTENT_PATHS=/var/lib/osdeploy," + DIR);
    kubectl("-n", SYSTEM, "rollout", "status", "deployment/osdeploy-operator", "--timeout=5m");

    Pod operator = operatorPod();
    assertEquals(
        "osdeploy/operator:0.1.0-SNAPSHOT", operator.getSpec().getContainers().get(0).getImage());
    await("the operator's pod holds the Lease")
        .atMost(Duration.ofMinutes(2))
        .untilAsserted(
            () -> {
              Lease lease = client.leases().inNamespace(SYSTEM).withName("osdeploy-operator").get();
              String holder = lease == null ? null : lease.getSpec().getHolderIdentity();
              // The identity is the pod's name and a suffix of the process's own.
              assertTrue(
                  holder != null && holder.startsWith(operator.getMetadata().getName() + "-"),
                  "Lease holder " + holder + ", pod " + operator.getMetadata().getName());
            });
  }

  @Test
  @Order(2)
  void podsThatCannotRunSayWhy() throws Exception {
    kubectl("label", "node", KubeletCluster.NODE, SITE_LABEL + "=cluster-it");
    // Three faults at once, each shown in turn: Pod Security refuses the pods, then the content
    // path is read-only, then the daemon's port is taken on the node.
    Path content = Files.createDirectories(DIR.resolve("content"));
    onNode("mount", "--bind", content.toString(), content.toString());
    onNode("mount", "-o", "remount,bind,ro", content.toString());
    Process listener =
        new ProcessBuilder(
                cluster.onNode(
                    List.of(
                        "/usr/bin/python3",
                        "-c",
                        "import socket, time\n"
                            + "s = socket.socket()\n"
                            + "s.bind(('0.0.0.0', 9080))\n"
                            + "s.listen()\n"
                            + "time.sleep(3600)\n")))
            .redirectErrorStream(true)
            .start();
    try {
      Path site = DIR.resolve("site.yaml");
      Files.writeString(site, siteYaml().replace("enforce: privileged", "enforce: baseline"));
      kubectl("apply", "--server-side", "-f", site.toString());
      Condition refused = awaitDistributionPoint("PodSecurityRefused", "baseline");
      assertEquals("False", refused.getStatus());
      assertTrue(refused.getMessage().contains("pod-security.kubernetes.io/enforce=privileged"));

      Files.writeString(site, siteYaml());
      kubectl("apply", "--server-side", "-f", site.toString());
      Condition readOnly = awaitDistributionPoint("DaemonPodFailing", "Read-only file system");
      assertTrue(
          readOnly
              .getMessage()
              .contains("on node " + KubeletCluster.NODE + ": container prepare-content"),
          readOnly.getMessage());

      onNode("umount", content.toString());
      client.pods().inNamespace(SITE).delete();
      Condition portTaken = awaitDistributionPoint("DaemonPodFailing", "Address already in use");
      String message = portTaken.getMessage();
      assertTrue(
          message.contains("on node " + KubeletCluster.NODE + ": container daemon "), message);
      assertTrue(
          message.contains("(exit code 1): cannot start: cannot listen on")
              || message.contains("exited with code 1: cannot start: cannot listen on"),
          message);
      // The crashing pod goes before the port is freed, so that only one pod ever downloads.
      client.pods().inNamespace(SITE).withGracePeriod(0).delete();
    } finally {
      listener.destroy();
      runQuietly(cluster.onNode(List.of("umount", content.toString())));
    }
  }

  @Test
  @Order(3)
  void aSiteRunsOnTheLabelledNode() throws Exception {
    awaitReady(DistributionPoint.class, "site", Duration.ofMinutes(4));
    Pod daemon = daemonPod("osdeploy/daemon:0.1.0-SNAPSHOT");
    assertEquals(KubeletCluster.NODE, daemon.getSpec().getNodeName());
    assertTrue(daemon.getSpec().getHostNetwork());
    assertEquals(cluster.nodeAddress(), daemon.getStatus().getPodIP());
    NodeStatus node = distributionPoint().getStatus().getNodes().get(0);
    assertEquals(KubeletCluster.NODE, node.getName());
    assertEquals(ImageState.Phase.Verified, node.getImages().get(0).getState(), node.toString());
    assertEquals(1, imageDownloads.get());

    // The pod signs machines' tokens with the keys of the operator's Secret, mounted.
    Secret keys = client.secrets().inNamespace(SITE).withName("site-daemon-machine-tokens").get();
    assertEquals(1, keys.getData().size(), keys.getData().keySet().toString());
    String podLog =
        client.pods().inNamespace(SITE).withName(daemon.getMetadata().getName()).getLog();
    assertTrue(
        podLog.contains(
            "machine-token keys from /etc/osdeploy/machine-tokens: " + keys.getData().keySet()),
        podLog);

    // A machine on the LAN gets its token as the targeted machine, then the image by multicast
    // from the pod; without a token it gets nothing.
    NetnsLan.Node machine = cluster.addMachine("desk");
    String server = "http://" + cluster.nodeAddress() + ":9080";
    ContainerEngines.Result issued =
        run(
            NetnsLan.exec(
                machine.namespace(),
                List.of(
                    "curl",
                    "-sSf",
                    "-X",
                    "POST",
                    server + "/v1/token?source=pxe&mac=52:54:00:21:00:01")));
    assertEquals(0, issued.status(), issued.output());
    Path token = DIR.resolve("machine.token");
    Files.writeString(
        token,
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(issued.output())
            .path("token")
            .asText());
    Path received = DIR.resolve("received.img");
    List<String> receive =
        List.of(
            "java",
            "-jar",
            REPO.resolve("multicast-daemon/target/osdeploy-daemon.jar").toString(),
            "receive",
            "--server",
            server,
            "--image",
            "test-image",
            "--out",
            received.toString(),
            "--multicast-only");
    ContainerEngines.Result refused = run(NetnsLan.exec(machine.namespace(), receive));
    assertTrue(refused.status() != 0, refused.output());
    assertTrue(refused.output().contains("401"), refused.output());
    List<String> withToken = new java.util.ArrayList<>(receive);
    withToken.addAll(List.of("--token-file", token.toString()));
    ContainerEngines.Result received0 = run(NetnsLan.exec(machine.namespace(), withToken));
    assertEquals(0, received0.status(), received0.output());
    assertEquals(sha256(IMAGE), sha256(Files.readAllBytes(received)));

    // The boot media downloads through the operator's Service.
    awaitReady(BootableMedia.class, "desk-iso", Duration.ofMinutes(3));
    BootableMedia media =
        client.resources(BootableMedia.class).inNamespace(SITE).withName("desk-iso").get();
    String url = media.getStatus().getArtifact().getUrl();
    assertTrue(url.startsWith("http://osdeploy-media.osdeploy-system.svc:8088/media/"), url);
    String clusterIp =
        client
            .services()
            .inNamespace(SYSTEM)
            .withName("osdeploy-media")
            .get()
            .getSpec()
            .getClusterIP();
    Path iso = DIR.resolve("media.iso");
    ContainerEngines.Result download =
        cluster.runOnNode(
            "curl",
            "-sSf",
            "-o",
            iso.toString(),
            url.replace("osdeploy-media.osdeploy-system.svc", clusterIp));
    assertEquals(0, download.status(), download.output());
    assertEquals(media.getStatus().getArtifact().getSha256(), sha256(Files.readAllBytes(iso)));
  }

  @Test
  @Order(4)
  void anUpgradeRollsThePodsWithoutPullingContentAgain() throws Exception {
    for (String name : List.of("operator", "daemon")) {
      String from = "docker.io/osdeploy/" + name + ":0.1.0-SNAPSHOT";
      cluster
          .ctr("images", "tag", from, "docker.io/osdeploy/" + name + ":" + UPGRADE_TAG)
          .orThrow(List.of("ctr images tag"));
    }
    // A daemon image the node does not have (and no registry serves): the DistributionPoint says
    // so.
    kubectl("apply", "--server-side", "-k", overlay("missing", "0.1.0-SNAPSHOT", "0.1.0-missing"));
    Condition missing = awaitDistributionPoint("DaemonPodFailing", "osdeploy/daemon:0.1.0-missing");
    assertTrue(
        missing.getMessage().contains("on node " + KubeletCluster.NODE), missing.getMessage());

    String oldOperator = operatorPod().getMetadata().getName();
    kubectl("apply", "--server-side", "-k", overlay("upgrade", UPGRADE_TAG, UPGRADE_TAG));
    kubectl("-n", SYSTEM, "rollout", "status", "deployment/osdeploy-operator", "--timeout=5m");
    Pod operator = operatorPod();
    assertFalse(oldOperator.equals(operator.getMetadata().getName()));
    assertEquals(
        "osdeploy/operator:" + UPGRADE_TAG, operator.getSpec().getContainers().get(0).getImage());

    String daemonSet = daemonSet().getMetadata().getName();
    await("the DaemonSet runs the new daemon image")
        .atMost(Duration.ofMinutes(2))
        .until(
            () ->
                ("osdeploy/daemon:" + UPGRADE_TAG)
                    .equals(
                        daemonSet()
                            .getSpec()
                            .getTemplate()
                            .getSpec()
                            .getContainers()
                            .get(0)
                            .getImage()));
    kubectl("-n", SITE, "rollout", "status", "daemonset/" + daemonSet, "--timeout=5m");
    daemonPod("osdeploy/daemon:" + UPGRADE_TAG);
    awaitReady(DistributionPoint.class, "site", Duration.ofMinutes(3));
    assertEquals(1, imageDownloads.get(), "the new pod verified the content it found on the node");
  }

  @Test
  @Order(5)
  void deleteRemovesEverythingTheOperatorMade() throws Exception {
    kubectl("delete", "-k", "deploy/", "--timeout=5m");
    kubectl("delete", "-f", DIR.resolve("media-volume.yaml").toString());
    assertNull(client.namespaces().withName(SYSTEM).get());
    for (String crd :
        List.of("osimages", "distributionpoints", "tasksequencedeployments", "bootablemedias")) {
      assertNull(
          client
              .apiextensions()
              .v1()
              .customResourceDefinitions()
              .withName(crd + ".osdeploy.io")
              .get());
    }
    assertNull(client.rbac().clusterRoles().withName("osdeploy-operator").get());
    await("the garbage collector removes what the operator made for the distribution point")
        .atMost(Duration.ofMinutes(2))
        .until(
            () ->
                client.apps().daemonSets().inNamespace(SITE).list().getItems().isEmpty()
                    && client.rbac().roles().inNamespace(SITE).list().getItems().isEmpty()
                    && client.rbac().roleBindings().inNamespace(SITE).list().getItems().isEmpty()
                    && client.services().inNamespace(SITE).list().getItems().isEmpty()
                    && client.configMaps().inNamespace(SITE).list().getItems().stream()
                        .allMatch(c -> c.getMetadata().getName().equals("kube-root-ca.crt"))
                    && client.pods().inNamespace(SITE).list().getItems().isEmpty()
                    && client.secrets().inNamespace(SITE).list().getItems().isEmpty());
  }

  /** An overlay of deploy/ with the operator's tag and the daemon's tag given. */
  private static String overlay(String name, String operatorTag, String daemonTag)
      throws Exception {
    Path overlay = Files.createDirectories(DIR.resolve(name));
    Files.writeString(
        overlay.resolve("kustomization.yaml"),
        """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
          - %s
        images:
          - name: osdeploy/operator
            newTag: %s
        patches:
          - patch: |
              apiVersion: apps/v1
              kind: Deployment
              metadata: {name: osdeploy-operator, namespace: osdeploy-system}
              spec:
                template:
                  spec:
                    containers:
                      - name: operator
                        env:
                          - name: OSDEPLOY_DAEMON_IMAGE
                            value: osdeploy/daemon:%s
        """
            .formatted(overlay.relativize(REPO.resolve("deploy")), operatorTag, daemonTag));
    return overlay.toString();
  }

  /**
   * Waits at most a minute for the DistributionPoint's Ready condition to have {@code reason} and a
   * message containing {@code text}; returns it.
   */
  private static Condition awaitDistributionPoint(String reason, String text) {
    return await("DistributionPoint site: " + reason + " with \"" + text + "\"")
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              DistributionPoint dp = distributionPoint();
              if (dp == null || dp.getStatus() == null) {
                return null;
              }
              return dp.getStatus().getConditions().stream()
                  .filter(c -> "Ready".equals(c.getType()))
                  .findFirst()
                  .orElse(null);
            },
            c -> c != null && reason.equals(c.getReason()) && c.getMessage().contains(text));
  }

  private static void onNode(String... command) throws Exception {
    ContainerEngines.Result result = cluster.runOnNode(command);
    assertEquals(0, result.status(), String.join(" ", command) + ": " + result.output());
  }

  private static void runQuietly(List<String> command) {
    try {
      run(command);
    } catch (Exception e) {
      System.err.println(e.getMessage());
    }
  }

  private static String siteYaml() {
    String url =
        "http://" + KubeletCluster.HOST + ":" + source.getAddress().getPort() + "/test.img";
    return """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: %1$s
          labels:
            pod-security.kubernetes.io/enforce: privileged
        ---
        apiVersion: osdeploy.io/v1alpha1
        kind: OSImage
        metadata: {name: test-image, namespace: %1$s}
        spec:
          source: {url: "%2$s"}
          sha256: %3$s
          sizeBytes: %4$d
          multicast: {allowed: true}
        ---
        apiVersion: osdeploy.io/v1alpha1
        kind: DistributionPoint
        metadata: {name: site, namespace: %1$s}
        spec:
          nodeSelector: {%5$s: cluster-it}
          contentPath: %6$s
          osImages: {names: [test-image]}
          multicast:
            enabled: true
            addressRange: {start: 239.21.0.1, end: 239.21.0.20}
            portRange: {start: 41000, end: 41099}
            sessionStart: {minClients: 1, maxWaitSeconds: 5}
        ---
        apiVersion: osdeploy.io/v1alpha1
        kind: TaskSequenceDeployment
        metadata: {name: desks, namespace: %1$s}
        spec:
          taskSequence:
            steps:
              - name: Apply image
                applyOperatingSystem: {osImage: test-image}
          target:
            machines:
              - {name: desk-1, mac: "52:54:00:21:00:01"}
          availability: MediaAndPxe
          distributionPoints: [site]
        ---
        apiVersion: osdeploy.io/v1alpha1
        kind: BootableMedia
        metadata: {name: desk-iso, namespace: %1$s}
        spec:
          type: Iso
          deployment: desks
          bootServers: ["http://%7$s:9080"]
        """
        .formatted(
            SITE,
            url,
            sha256(IMAGE),
            IMAGE.length,
            SITE_LABEL,
            DIR.resolve("content"),
            cluster.nodeAddress());
  }

  private static DistributionPoint distributionPoint() {
    return client.resources(DistributionPoint.class).inNamespace(SITE).withName("site").get();
  }

  private static DaemonSet daemonSet() {
    List<DaemonSet> sets = client.apps().daemonSets().inNamespace(SITE).list().getItems();
    assertEquals(1, sets.size(), sets.toString());
    return sets.get(0);
  }

  private static Pod operatorPod() {
    List<Pod> pods =
        client
            .pods()
            .inNamespace(SYSTEM)
            .withLabel("app.kubernetes.io/name", "osdeploy-operator")
            .list()
            .getItems()
            .stream()
            .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
            .toList();
    assertEquals(1, pods.size(), pods.toString());
    return pods.get(0);
  }

  /** The one running daemon pod of the site, which runs {@code image}. */
  private static Pod daemonPod(String image) {
    List<Pod> pods =
        client.pods().inNamespace(SITE).list().getItems().stream()
            .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
            .toList();
    assertEquals(1, pods.size(), pods.toString());
    Pod pod = pods.get(0);
    assertEquals(image, pod.getSpec().getContainers().get(0).getImage());
    assertEquals("Running", pod.getStatus().getPhase(), pod.getStatus().toString());
    return pod;
  }

  private static <
          T extends io.fabric8.kubernetes.client.CustomResource<?, ? extends OsdeployStatus>>
      void awaitReady(Class<T> type, String name, Duration atMost) {
    await(type.getSimpleName() + " " + name + " Ready")
        .atMost(atMost)
        .pollInterval(Duration.ofSeconds(2))
        .until(
            () -> {
              T item = client.resources(type).inNamespace(SITE).withName(name).get();
              return item != null
                  && item.getStatus() != null
                  && item.getStatus().getConditions().stream()
                      .anyMatch(
                          (Condition c) ->
                              "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
            });
  }

  private static String kubectl(String... args) throws Exception {
    ContainerEngines.Result result = cluster.kubectl(REPO, args);
    assertEquals(0, result.status(), "kubectl " + String.join(" ", args) + ": " + result.output());
    return result.output();
  }

  private static ContainerEngines.Result run(List<String> command) throws Exception {
    return ContainerEngines.run(command, Duration.ofMinutes(5));
  }

  private static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(Sha256.newDigest().digest(bytes));
  }
}
