package io.osdeploy.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.BootableMediaSpec;
import io.osdeploy.api.v1alpha1.Condition;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.api.v1alpha1.NodeStatus;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OsdeployStatus;
import io.osdeploy.api.v1alpha1.ProgressReport;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentStatus;
import io.osdeploy.operator.local.MachinePolicy;
import io.osdeploy.operator.media.BootFiles;
import io.osdeploy.operator.media.PointerScript;
import io.osdeploy.operator.reconciler.References;
import io.osdeploy.operator.testing.DaemonProcess;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.Prerequisites;
import io.osdeploy.operator.testing.QemuMachine;
import io.osdeploy.operator.testing.SiteObjects;
import io.osdeploy.operator.testing.TestCluster;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two daemon processes as two nodes of one distribution point, pulling a test image from a local
 * HTTP server, against a real kube-apiserver and the operator.
 */
class DistributionPointNodesIT {
  private static final String DP = "site-test";
  private static final String IMAGE = "test-image";

  @RegisterExtension
  static LocallyRunOperatorExtension operator = OperatorTests.operator(TestCluster.newClient());

  private final KubernetesClient client = TestCluster.client();
  private SiteObjects site;
  private byte[] content;
  private String sha256;
  private final List<DaemonProcess> daemons = new java.util.ArrayList<>();

  @BeforeEach
  void serveTestImage() throws Exception {
    site = new SiteObjects(client, ns(), "nodes-it", 4 * 1024 * 1024 + 123);
    content = site.content();
    sha256 = site.sha256();
  }

  @AfterEach
  void stopEverything() throws InterruptedException {
    for (DaemonProcess d : daemons) {
      d.close();
    }
    site.close();
    client.resources(BootableMedia.class).inNamespace(ns()).delete();
    client.secrets().inNamespace(ns()).delete();
    client.resources(TaskSequenceDeployment.class).inNamespace(ns()).delete();
    client.resources(DistributionPoint.class).inNamespace(ns()).delete();
    client.resources(OSImage.class).inNamespace(ns()).delete();
  }

  private String ns() {
    return operator.getNamespace();
  }

  private OSImage image(String sha) {
    return site.image(IMAGE, sha);
  }

  private void distributionPoint() {
    site.distributionPoint(DP, IMAGE);
  }

  private void rollOut(int nodes) {
    OperatorTests.rollOut(client, ns(), DP + "-daemon", nodes);
  }

  private <T extends CustomResource<?, ? extends OsdeployStatus>> T awaitCondition(
      Class<T> kind, String name, String type, String status, String reason) {
    return OperatorTests.awaitCondition(client, ns(), kind, name, type, status, reason, this::logs);
  }

  private String logs() {
    StringBuilder out = new StringBuilder();
    daemons.forEach(d -> out.append(tail(d.log())).append('\n'));
    return out.toString();
  }

  private static String tail(String log) {
    return log.length() > 1500 ? log.substring(log.length() - 1500) : log;
  }

  private void deployment() {
    deployment("52:54:00:00:00:01");
  }

  private void deployment(String... macs) {
    site.deployment("bare-metal", DP, IMAGE, macs);
  }

  private static JsonNode policy(NodeStatus node, String query) throws Exception {
    return new ObjectMapper()
        .readTree(MachinePolicy.fetch(HttpClient.newHttpClient(), node.getEndpoint(), query));
  }

  /** The token {@code endpoint} gives machine {@code mac} booting by PXE; null: none offered. */
  private static String tokenAt(String endpoint, String mac) throws Exception {
    HttpResponse<String> issued =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(endpoint + "/v1/token?source=pxe&mac=" + mac))
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    return issued.statusCode() == 200
        ? new ObjectMapper().readTree(issued.body()).path("token").asText()
        : null;
  }

  @Test
  void twoNodesPullVerifyAndReportAndAChecksumMismatchShowsUntilFixed(@TempDir Path dir)
      throws Exception {
    image(sha256);
    distributionPoint();
    rollOut(2);
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, TestCluster.kubeConfigYaml());
    for (String node : List.of("node-a", "node-b")) {
      daemons.add(DaemonProcess.start(node, ns(), DP + "-daemon", kubeconfig, dir.resolve(node)));
    }

    DistributionPoint ready =
        awaitCondition(DistributionPoint.class, DP, "Ready", "True", "ContentVerified");
    assertEquals(
        List.of("node-a", "node-b"),
        ready.getStatus().getNodes().stream().map(NodeStatus::getName).sorted().toList());
    OSImage distributed = awaitCondition(OSImage.class, IMAGE, "Ready", "True", "Distributed");
    assertEquals(List.of(DP), distributed.getStatus().getVerifiedOn());
    for (String node : List.of("node-a", "node-b")) {
      OperatorTests.awaitEvent(client, ns(), DP, "ContentVerifiedOnNode", node + ": 1 image");
    }
    OperatorTests.awaitEvent(client, ns(), DP, "ContentVerified", "verified on every node");

    // The deployment is published once its content is verified: every node serves its policy.
    deployment();
    awaitCondition(TaskSequenceDeployment.class, "bare-metal", "Ready", "True", "ContentReady");
    for (NodeStatus node : ready.getStatus().getNodes()) {
      org.awaitility.Awaitility.await()
          .atMost(OperatorTests.TIMEOUT)
          .untilAsserted(
              () -> {
                JsonNode pxe = policy(node, "mac=52-54-00-00-00-01&source=pxe");
                assertEquals(1, pxe.path("deployments").size(), pxe.toString());
                JsonNode content =
                    pxe.path("deployments").get(0).path("steps").get(0).path("content");
                assertEquals(sha256, content.path("sha256").asText());
                assertEquals(
                    node.getEndpoint() + "/content/" + IMAGE, content.path("unicastUrl").asText());
              });
      // Each node serves the verified image by unicast to the machine's token, with its SHA-256
      // as ETag; without a token, nothing.
      HttpResponse<byte[]> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(node.getEndpoint() + "/content/" + IMAGE))
                      .header(
                          "Authorization",
                          "Bearer " + tokenAt(node.getEndpoint(), "52:54:00:00:00:01"))
                      .build(),
                  HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, response.statusCode(), node.getName());
      assertTrue(java.util.Arrays.equals(content, response.body()), node.getName());
      assertEquals(
          "\"" + sha256 + "\"", response.headers().firstValue("ETag").orElse(""), node.getName());
      assertEquals(
          401,
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(node.getEndpoint() + "/content/" + IMAGE))
                      .build(),
                  HttpResponse.BodyHandlers.ofByteArray())
              .statusCode());
      // PXE-booting, the machine is offered the deployment; these daemons ship no boot environment
      // and the distribution point names none, so the script says so (BareMetalIT boots one).
      HttpResponse<String> script =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(node.getEndpoint() + "/v1/boot.ipxe?mac=52:54:00:00:00:01"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertTrue(
          script.body().contains("/" + DP + " has no boot environment to serve"), script.body());
      // MediaAndPxe: a running client is not offered the deployment, nor is a stranger.
      assertEquals(
          0, policy(node, "mac=52:54:00:00:00:01&source=client").path("deployments").size());
      assertEquals(0, policy(node, "mac=52:54:00:00:00:99&source=pxe").path("deployments").size());
    }

    String wrong = "0".repeat(64);
    image(wrong);
    DistributionPoint mismatch =
        awaitCondition(
            DistributionPoint.class, DP, "Reconciling", "True", ImageState.CHECKSUM_MISMATCH);
    assertTrue(
        mismatch
            .getStatus()
            .condition("Reconciling")
            .map(Condition::getMessage)
            .orElse("")
            .contains("OSImage " + IMAGE + ": ChecksumMismatch"));
    awaitCondition(OSImage.class, IMAGE, "Stalled", "True", ImageState.CHECKSUM_MISMATCH);

    image(sha256);
    awaitCondition(DistributionPoint.class, DP, "Ready", "True", "ContentVerified");
    awaitCondition(OSImage.class, IMAGE, "Ready", "True", "Distributed");
  }

  /**
   * {@code json} posted to {@code endpoint} as its machine posts it: with the token that node gives
   * the machine the report names (none for a machine nothing is offered to).
   */
  private static HttpResponse<String> report(String endpoint, String json) throws Exception {
    String mac = new ObjectMapper().readTree(json).path("mac").asText();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(endpoint + "/v1/status"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json));
    String token = tokenAt(endpoint, mac);
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String report(String mac, String state, int step, String message) {
    return "{\"deployment\":\"bare-metal\",\"mac\":\""
        + mac
        + "\",\"step\":"
        + step
        + ",\"state\":\""
        + state
        + "\",\"message\":\""
        + message
        + "\"}";
  }

  private String endpointOf(String node) {
    DistributionPoint dp =
        client.resources(DistributionPoint.class).inNamespace(ns()).withName(DP).get();
    return dp.getStatus().getNodes().stream()
        .filter(n -> n.getName().equals(node))
        .findFirst()
        .map(NodeStatus::getEndpoint)
        .orElseThrow();
  }

  private TaskSequenceDeploymentStatus.MachineCounts awaitCounts(
      int targeted, int pending, int running, int succeeded, int failed) {
    org.awaitility.Awaitility.await()
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () -> {
              TaskSequenceDeploymentStatus status = deploymentStatus();
              TaskSequenceDeploymentStatus.MachineCounts c = status.getMachines();
              assertEquals(
                  List.of(targeted, pending, running, succeeded, failed),
                  List.of(
                      c.getTargeted(),
                      c.getPending(),
                      c.getRunning(),
                      c.getSucceeded(),
                      c.getFailed()),
                  "targeted, pending, running, succeeded, failed\n" + logs());
            });
    return deploymentStatus().getMachines();
  }

  private TaskSequenceDeploymentStatus deploymentStatus() {
    return client
        .resources(TaskSequenceDeployment.class)
        .inNamespace(ns())
        .withName("bare-metal")
        .get()
        .getStatus();
  }

  @Test
  void agentsProgressRollsUpAcrossNodesAndSurvivesADaemonKilledBeforeItWrote(@TempDir Path dir)
      throws Exception {
    String m1 = "52:54:00:00:00:01";
    String m2 = "52:54:00:00:00:02";
    String m3 = "52:54:00:00:00:03";
    image(sha256);
    distributionPoint();
    rollOut(2);
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, TestCluster.kubeConfigYaml());
    for (String node : List.of("node-a", "node-b")) {
      daemons.add(DaemonProcess.start(node, ns(), DP + "-daemon", kubeconfig, dir.resolve(node)));
    }
    awaitCondition(DistributionPoint.class, DP, "Ready", "True", "ContentVerified");
    deployment(m1, m2, m3);
    awaitCondition(TaskSequenceDeployment.class, "bare-metal", "Ready", "True", "ContentReady");
    awaitCounts(3, 3, 0, 0, 0);

    String a = endpointOf("node-a");
    String b = endpointOf("node-b");
    // The deployment is published once Ready: retry until each daemon has it.
    org.awaitility.Awaitility.await()
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () -> {
              for (String endpoint : List.of(a, b)) {
                HttpResponse<String> r = report(endpoint, report(m1, "running", 0, "starting"));
                assertEquals(202, r.statusCode(), r.body());
              }
            });
    // The Service spreads one machine's reports over the nodes: it counts once, at its latest.
    assertEquals(202, report(b, report(m1, "succeeded", 0, "done")).statusCode());
    assertEquals(
        202, report(a, report(m2, "failed", 0, "disk 0 is smaller than the image")).statusCode());
    // A machine nothing is offered to has no token; a token covers its own deployments only.
    HttpResponse<String> stranger = report(a, report("52:54:00:00:00:99", "running", 0, "x"));
    assertEquals(401, stranger.statusCode(), stranger.body());
    HttpResponse<String> unknown =
        report(a, report(m1, "running", 0, "x").replace("bare-metal", "no-such-deployment"));
    assertEquals(403, unknown.statusCode(), unknown.body());

    awaitCounts(3, 1, 0, 1, 1);
    TaskSequenceDeploymentStatus status = deploymentStatus();
    TaskSequenceDeploymentStatus.MachineFailure failure = status.getRecentFailures().get(0);
    assertEquals(m2, failure.getMachine());
    assertEquals("Apply image", failure.getStepName());
    assertEquals("disk 0 is smaller than the image", failure.getMessage());
    assertEquals(
        List.of("node-a", "node-b"),
        status.getReports().stream().map(ProgressReport::getNode).sorted().toList());
    assertTrue(
        status.getConditions().stream()
            .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True")),
        "progress never changes whether the deployment is ready");

    // node-a accepts a report and is killed before its next write: the journal keeps it.
    assertEquals(202, report(a, report(m3, "running", 0, "partitioning")).statusCode());
    daemons.get(0).kill();
    daemons.set(
        0, DaemonProcess.start("node-a", ns(), DP + "-daemon", kubeconfig, dir.resolve("node-a")));
    awaitCounts(3, 0, 1, 1, 1);

    // A bad change (an image no distribution point holds) is reported, and the daemons keep
    // publishing the last Ready version: machines mid-deployment are not cut off.
    TaskSequenceDeployment bad =
        client
            .resources(TaskSequenceDeployment.class)
            .inNamespace(ns())
            .withName("bare-metal")
            .get();
    bad.getSpec()
        .getTaskSequence()
        .getSteps()
        .get(0)
        .getApplyOperatingSystem()
        .setOsImage("no-such-image");
    bad.getMetadata().setManagedFields(null);
    bad.getMetadata().setResourceVersion(null);
    bad.setStatus(null);
    client.resource(bad).fieldManager("nodes-it").serverSideApply();
    awaitCondition(
        TaskSequenceDeployment.class, "bare-metal", "Reconciling", "True", "WaitingForReferences");
    DistributionPoint current =
        client.resources(DistributionPoint.class).inNamespace(ns()).withName(DP).get();
    for (NodeStatus node : current.getStatus().getNodes()) {
      JsonNode policy = policy(node, "mac=" + m1 + "&source=pxe");
      assertEquals(
          IMAGE,
          policy
              .path("deployments")
              .get(0)
              .path("steps")
              .get(0)
              .path("content")
              .path("osImage")
              .asText(),
          node.getName() + ": " + policy);
    }
    assertEquals(
        202, report(endpointOf("node-b"), report(m3, "succeeded", 0, "done")).statusCode());
    awaitCounts(3, 0, 0, 2, 1);
  }

  @Test
  void mediaBuiltByTheOperatorBootsInQemuAndTheDaemonAsksForItsPassword(@TempDir Path dir)
      throws Exception {
    Prerequisites.require(
        BootFiles.debian().missing().isEmpty(),
        "boot media tools: " + BootFiles.debian().missing());
    Prerequisites.require(
        QemuMachine.installed(), QemuMachine.BINARY + " (Debian package qemu-system-x86)");
    image(sha256);
    distributionPoint();
    rollOut(1);
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, TestCluster.kubeConfigYaml());
    daemons.add(
        DaemonProcess.start("node-a", ns(), DP + "-daemon", kubeconfig, dir.resolve("node-a")));
    awaitCondition(DistributionPoint.class, DP, "Ready", "True", "ContentVerified");
    deployment(QemuMachine.MAC);
    awaitCondition(TaskSequenceDeployment.class, "bare-metal", "Ready", "True", "ContentReady");

    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("usb-password")
                .withNamespace(ns())
                .addToLabels(References.SECRET_LABEL, "true")
                .endMetadata()
                .withStringData(java.util.Map.of("password", "s3cret"))
                .build())
        .create();
    // The machine reaches the host's loopback, where the daemon listens, at 10.0.2.2.
    int port = URI.create(endpointOf("node-a")).getPort();
    BootableMedia media = new BootableMedia();
    media.getMetadata().setName("usb-1");
    media.setSpec(new BootableMediaSpec());
    media.getSpec().setType(BootableMediaSpec.MediaType.Usb);
    media.getSpec().setDeployment("bare-metal");
    media.getSpec().setBootServers(List.of("http://10.0.2.2:" + port));
    BootableMediaSpec.SecretKeyRef ref = new BootableMediaSpec.SecretKeyRef();
    ref.setName("usb-password");
    media.getSpec().setPasswordSecretRef(ref);
    OperatorTests.apply(client, ns(), "nodes-it", media);
    BootableMedia built = awaitCondition(BootableMedia.class, "usb-1", "Ready", "True", "Built");

    Path iso = dir.resolve("usb-1.iso");
    HttpResponse<Path> download =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(built.getStatus().getArtifact().getUrl()))
                    .build(),
                HttpResponse.BodyHandlers.ofFile(iso));
    assertEquals(200, download.statusCode());
    assertEquals(
        built.getStatus().getArtifact().getSha256(),
        HexFormat.of()
            .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(iso))));

    // Without the password the daemon answers 401; the media boots, asks, and gets its script.
    HttpResponse<String> challenge =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            endpointOf("node-a")
                                + "/v1/boot.ipxe?mac="
                                + QemuMachine.MAC
                                + "&media="
                                + ns()
                                + "/usb-1"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    org.awaitility.Awaitility.await()
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () ->
                assertEquals(
                    401,
                    HttpClient.newHttpClient()
                        .send(
                            HttpRequest.newBuilder(challenge.request().uri()).build(),
                            HttpResponse.BodyHandlers.ofString())
                        .statusCode()));
    try (QemuMachine machine = QemuMachine.bootCdrom(iso, dir)) {
      assertTrue(
          machine.awaitConsole(PointerScript.PASSWORD_NOTICE, "Password", Duration.ofSeconds(120)),
          "no password prompt:\n" + machine.console());
      machine.type("ret", "s", "3", "c", "r", "e", "t", "ret");
      // The deployment is offered; these daemons serve no boot environment, and the script says
      // so ("osdeploy: DistributionPoint <ns>/<name> has no boot environment ...", wrapped at 80
      // columns on the console, so only its start is matched).
      String expected = "osdeploy: DistributionPoint " + ns() + "/" + DP + " ";
      assertTrue(
          machine.awaitConsole(expected, Duration.ofSeconds(60)),
          "the daemon's boot script did not run:\n" + machine.console() + "\n" + logs());
    }
  }
}
