package io.osdeploy.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.BootableMediaSpec;
import io.osdeploy.api.v1alpha1.BootableMediaStatus;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.operator.media.BootFiles;
import io.osdeploy.operator.reconciler.References;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.Prerequisites;
import io.osdeploy.operator.testing.TestCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Boot media built by the operator against a real kube-apiserver: served over HTTP with the
 * status's SHA-256, rebuilt only when its inputs change, reproducible, and removed with the media.
 */
class BootableMediaIT {
  private static final String PASSWORD = "correct horse battery staple";

  @RegisterExtension
  static LocallyRunOperatorExtension operator = OperatorTests.operator(TestCluster.newClient());

  private final KubernetesClient client = TestCluster.client();
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void tools() {
    Prerequisites.require(
        BootFiles.debian().missing().isEmpty(),
        "boot media tools: " + BootFiles.debian().missing());
  }

  @AfterEach
  void deleteEverything() {
    OperatorTests.deleteAll(
        client, ns(), BootableMedia.class, Secret.class, TaskSequenceDeployment.class);
  }

  private String ns() {
    return operator.getNamespace();
  }

  private BootableMedia media(String name, List<String> servers, String secret) {
    BootableMedia media = new BootableMedia();
    media.getMetadata().setName(name);
    media.setSpec(new BootableMediaSpec());
    media.getSpec().setType(BootableMediaSpec.MediaType.Usb);
    media.getSpec().setBootServers(servers);
    if (secret != null) {
      BootableMediaSpec.SecretKeyRef ref = new BootableMediaSpec.SecretKeyRef();
      ref.setName(secret);
      media.getSpec().setPasswordSecretRef(ref);
    }
    return OperatorTests.apply(client, ns(), "media-it", media);
  }

  private BootableMediaStatus.Artifact awaitArtifact(String name, String notSha) {
    Awaitility.await()
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () -> {
              BootableMedia m =
                  OperatorTests.awaitCondition(
                      client, ns(), BootableMedia.class, name, "Ready", "True", "Built", () -> "");
              assertNotEquals(notSha, m.getStatus().getArtifact().getSha256());
            });
    return client
        .resources(BootableMedia.class)
        .inNamespace(ns())
        .withName(name)
        .get()
        .getStatus()
        .getArtifact();
  }

  private HttpResponse<byte[]> get(String url, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @Test
  void mediaIsBuiltServedRebuiltOnlyWhenItsInputsChangeAndRemovedWithIt() throws Exception {
    BootableMediaStatus.Artifact first =
        awaitArtifact(
            media("usb-1", List.of("http://dp-a.test:9080"), null).getMetadata().getName(), null);

    // The URL gets exactly the bytes the status describes, with ETag and ranges.
    HttpResponse<byte[]> whole = get(first.getUrl());
    assertEquals(200, whole.statusCode());
    assertEquals(first.getSha256(), sha256(whole.body()));
    assertEquals(first.getSizeBytes(), whole.body().length);
    assertEquals("\"" + first.getSha256() + "\"", whole.headers().firstValue("ETag").orElse(""));
    HttpResponse<byte[]> range = get(first.getUrl(), "Range", "bytes=510-511");
    assertEquals(206, range.statusCode());
    assertEquals(0x55, range.body()[0] & 0xff, "the isohybrid MBR's boot signature");
    assertEquals(0xaa, range.body()[1] & 0xff);
    assertEquals(
        304, get(first.getUrl(), "If-None-Match", "\"" + first.getSha256() + "\"").statusCode());

    // Another boot server is another pointer: a new image, and the old one is gone.
    media("usb-1", List.of("http://dp-b.test:9080", "http://dp-a.test:9080"), null);
    BootableMediaStatus.Artifact second = awaitArtifact("usb-1", first.getSha256());
    assertEquals(404, get(first.getUrl()).statusCode());
    assertEquals(200, get(second.getUrl()).statusCode());

    // The same inputs give the same bytes: deleted and made again, the media is identical.
    client.resources(BootableMedia.class).inNamespace(ns()).withName("usb-1").delete();
    Awaitility.await()
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(() -> assertEquals(404, get(second.getUrl()).statusCode()));
    Awaitility.await()
        .atMost(OperatorTests.TIMEOUT)
        .until(
            () ->
                client.resources(BootableMedia.class).inNamespace(ns()).withName("usb-1").get()
                    == null);
    media("usb-1", List.of("http://dp-b.test:9080", "http://dp-a.test:9080"), null);
    BootableMediaStatus.Artifact again = awaitArtifact("usb-1", null);
    assertEquals(second.getSha256(), again.getSha256());
    assertEquals(second.getInputsDigest(), again.getInputsDigest());
  }

  @Test
  void aPasswordIsAskedForAtBootAndNeverShownAndANewOneRebuildsTheMedia() throws Exception {
    // Everything the operator logs while it handles the password, kept to search it afterwards.
    java.io.PrintStream err = System.err;
    java.io.ByteArrayOutputStream logged = new java.io.ByteArrayOutputStream();
    System.setErr(
        new java.io.PrintStream(
            new java.io.OutputStream() {
              @Override
              public void write(int b) {
                err.write(b);
                logged.write(b);
              }

              @Override
              public void write(byte[] b, int off, int len) {
                err.write(b, off, len);
                logged.write(b, off, len);
              }
            },
            true));
    try {
      passwordScenario();
    } finally {
      System.setErr(err);
    }
    String log = logged.toString(StandardCharsets.UTF_8);
    assertTrue(log.contains("usb-locked"), "the operator's log was captured");
    assertFalse(log.contains(PASSWORD), "the log does not carry the password");
    assertFalse(log.contains("pbkdf2"), "nor its hash");
    String events =
        client.v1().events().inNamespace(ns()).list().getItems().stream()
            .map(e -> e.getReason() + " " + e.getMessage())
            .reduce("", String::concat);
    assertFalse(events.contains(PASSWORD), "no event carries the password");
  }

  private void passwordScenario() throws Exception {
    BootableMedia media = media("usb-locked", List.of("http://dp-a.test:9080"), "usb-password");
    OperatorTests.awaitCondition(
        client,
        ns(),
        BootableMedia.class,
        "usb-locked",
        "Reconciling",
        "True",
        "WaitingForPassword",
        () -> "");
    // The operator sees only Secrets labelled for it: this one, not yet.
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("usb-password")
                .withNamespace(ns())
                .endMetadata()
                .withStringData(Map.of("password", PASSWORD + "\n"))
                .build())
        .create();
    Thread.sleep(3000);
    BootableMedia waiting =
        client.resources(BootableMedia.class).inNamespace(ns()).withName("usb-locked").get();
    String why =
        waiting.getStatus().getConditions().stream()
            .filter(c -> c.getType().equals("Reconciling"))
            .findFirst()
            .orElseThrow()
            .getMessage();
    assertTrue(why.contains("labelled " + References.SECRET_LABEL + "=true"), why);
    assertTrue(
        waiting.getStatus().getArtifact() == null, "nothing built from an unlabelled Secret");
    client
        .secrets()
        .inNamespace(ns())
        .withName("usb-password")
        .edit(
            s -> {
              s.getMetadata().setLabels(Map.of(References.SECRET_LABEL, "true"));
              return s;
            });
    BootableMediaStatus.Artifact locked = awaitArtifact(media.getMetadata().getName(), null);
    String iso = new String(get(locked.getUrl()).body(), StandardCharsets.ISO_8859_1);
    assertTrue(iso.contains("login"), "the pointer script asks for the password");
    assertFalse(iso.contains(PASSWORD), "the media does not carry the password");
    String status =
        client
                .resources(BootableMedia.class)
                .inNamespace(ns())
                .withName("usb-locked")
                .get()
                .toString()
            + client
                .genericKubernetesResources("osdeploy.io/v1alpha1", "BootableMedia")
                .inNamespace(ns())
                .withName("usb-locked")
                .get()
                .getAdditionalProperties();
    assertFalse(status.contains(PASSWORD), "the status does not carry the password");
    assertFalse(status.contains("pbkdf2"), "nor its hash");

    // Reconciling again (the status changed) keeps the same inputs: no rebuild.
    BootableMediaStatus.Artifact same = awaitArtifact("usb-locked", null);
    assertEquals(locked.getSha256(), same.getSha256());

    client
        .secrets()
        .inNamespace(ns())
        .withName("usb-password")
        .edit(
            s -> {
              s.setData(
                  Map.of(
                      "password",
                      Base64.getEncoder()
                          .encodeToString("another one".getBytes(StandardCharsets.UTF_8))));
              return s;
            });
    // A new password is a new input, but the media carries no password or hash: the bytes stay
    // the same, so media already handed out keep working with the new password.
    Awaitility.await()
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () ->
                assertNotEquals(
                    locked.getInputsDigest(),
                    client
                        .resources(BootableMedia.class)
                        .inNamespace(ns())
                        .withName("usb-locked")
                        .get()
                        .getStatus()
                        .getArtifact()
                        .getInputsDigest()));
    BootableMediaStatus.Artifact changed = awaitArtifact("usb-locked", null);
    assertEquals(locked.getSha256(), changed.getSha256());
  }

  @Test
  void contentChangesNeverRebuildAndABadChangeKeepsTheLastGoodMediaServed() throws Exception {
    TaskSequenceDeployment deployment =
        Serialization.unmarshal(
            """
            apiVersion: osdeploy.io/v1alpha1
            kind: TaskSequenceDeployment
            metadata:
              name: refresh
            spec:
              taskSequence:
                steps:
                  - name: Apply Windows 11
                    applyOperatingSystem:
                      osImage: win11-24h2
              target:
                unknownComputers: true
              availability: MediaAndPxeHidden
              distributionPoints: [site-a]
            """,
            TaskSequenceDeployment.class);
    OperatorTests.apply(client, ns(), "media-it", deployment);
    BootableMedia media = new BootableMedia();
    media.getMetadata().setName("usb-pinned");
    media.setSpec(new BootableMediaSpec());
    media.getSpec().setType(BootableMediaSpec.MediaType.Iso);
    media.getSpec().setDeployment("refresh");
    media.getSpec().setBootServers(List.of("http://dp-a.test:9080"));
    OperatorTests.apply(client, ns(), "media-it", media);
    BootableMediaStatus.Artifact built = awaitArtifact("usb-pinned", null);

    // Another image and another step: the media only points at the deployment, so it stays.
    deployment
        .getSpec()
        .getTaskSequence()
        .getSteps()
        .get(0)
        .getApplyOperatingSystem()
        .setOsImage("win11-25h2");
    OperatorTests.apply(client, ns(), "media-it", deployment);
    Awaitility.await()
        .pollDelay(java.time.Duration.ofSeconds(3))
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () -> {
              BootableMediaStatus.Artifact now = awaitArtifact("usb-pinned", null);
              assertEquals(built.getSha256(), now.getSha256(), "not rebuilt");
              assertEquals(built.getInputsDigest(), now.getInputsDigest());
            });

    // A CA pin with a plain-HTTP boot server stalls it, naming the field: pinned media talk HTTPS
    // only. The last good media stays served.
    List<String> plainHttp = media.getSpec().getBootServers();
    assertTrue(plainHttp.get(0).startsWith("http://"), plainHttp.toString());
    media.getSpec().setCaFingerprint("ab".repeat(32));
    OperatorTests.apply(client, ns(), "media-it", media);
    BootableMedia stalled =
        OperatorTests.awaitCondition(
            client,
            ns(),
            BootableMedia.class,
            "usb-pinned",
            "Stalled",
            "True",
            "InsecureBootServer",
            () -> "");
    assertTrue(
        stalled
            .getStatus()
            .condition("Stalled")
            .orElseThrow()
            .getMessage()
            .startsWith("spec.bootServers[0]: "));
    assertEquals(built.getSha256(), stalled.getStatus().getArtifact().getSha256());
    assertEquals(200, get(built.getUrl()).statusCode());

    // With https:// boot servers the pinned media is built.
    media.getSpec().setBootServers(List.of("https://boot.lab.example:8443"));
    OperatorTests.apply(client, ns(), "media-it", media);
    BootableMediaStatus.Artifact pinnedToCa = awaitArtifact("usb-pinned", built.getSha256());
    assertEquals(200, get(pinnedToCa.getUrl()).statusCode());

    media.getSpec().setBootServers(plainHttp);
    media.getSpec().setCaFingerprint(null);
    OperatorTests.apply(client, ns(), "media-it", media);
    assertEquals(built.getSha256(), awaitArtifact("usb-pinned", null).getSha256());
  }
}
