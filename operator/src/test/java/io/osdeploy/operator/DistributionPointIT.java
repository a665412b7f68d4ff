package io.osdeploy.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.BootableMediaSpec;
import io.osdeploy.api.v1alpha1.ConditionType;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.DistributionPointMulticast;
import io.osdeploy.api.v1alpha1.DistributionPointSpec;
import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.api.v1alpha1.NodeStatus;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OsdeployStatus;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.auth.MachineTokenKeys;
import io.osdeploy.config.DaemonConfig;
import io.osdeploy.operator.dependent.DaemonResources;
import io.osdeploy.operator.reconciler.References;
import io.osdeploy.operator.testing.InvalidSample;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.TestCluster;
import io.osdeploy.operator.tokens.MachineTokenSecret;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Distribution points against a real kube-apiserver: dependents, conflicts, status, no churn. */
class DistributionPointIT {
  private static final Duration TIMEOUT = OperatorTests.TIMEOUT;
  private static final String OPERATOR_AGENT = "osdeploy-operator-it";
  private static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension
  static LocallyRunOperatorExtension operator =
      OperatorTests.operator(TestCluster.newClient(OPERATOR_AGENT));

  private final KubernetesClient client = TestCluster.client();

  private String ns() {
    return operator.getNamespace();
  }

  @AfterEach
  void deleteEverything() {
    OperatorTests.deleteAll(
        client, ns(), TaskSequenceDeployment.class, DistributionPoint.class, OSImage.class);
  }

  private <T extends HasMetadata> T applySample(String file, Class<T> kind) throws IOException {
    return client.resource(loadSample(file, kind)).fieldManager("dp-it").serverSideApply();
  }

  private <T extends HasMetadata> T loadSample(String file, Class<T> kind) throws IOException {
    try (InputStream in = Files.newInputStream(InvalidSample.SAMPLES.resolve(file))) {
      T item = client.resources(kind).load(in).item();
      item.getMetadata().setNamespace(ns());
      return item;
    }
  }

  private <T extends HasMetadata> T apply(T item) {
    return OperatorTests.apply(client, ns(), "dp-it", item);
  }

  private <T extends CustomResource<?, ? extends OsdeployStatus>> T awaitCondition(
      Class<T> kind, String name, String type, String status, String reason) {
    return OperatorTests.awaitCondition(client, ns(), kind, name, type, status, reason, () -> "");
  }

  private static String message(CustomResource<?, ? extends OsdeployStatus> r, String type) {
    return r.getStatus().condition(type).orElseThrow().getMessage();
  }

  private void createSecret(String name, String type, Map<String, String> data) {
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns())
                .addToLabels(References.SECRET_LABEL, "true")
                .endMetadata()
                .withType(type)
                .withStringData(data)
                .build())
        .create();
  }

  private <T extends HasMetadata> T awaitDependent(Class<T> kind, String name) {
    return await()
        .atMost(TIMEOUT)
        .until(() -> client.resources(kind).inNamespace(ns()).withName(name).get(), r -> r != null);
  }

  private void rollOut(String dp, int nodes) {
    OperatorTests.rollOut(client, ns(), dp + "-daemon", nodes);
  }

  /** What the daemon on {@code node} applies: its own entry of status.nodes, nothing else. */
  private void report(String dp, String node, ImageState... images) {
    report(dp, node, null, images);
  }

  private void report(String dp, String node, String httpsEndpoint, ImageState... images) {
    NodeStatus entry = new NodeStatus();
    entry.setName(node);
    entry.setDaemonVersion("it");
    entry.setEndpoint("http://" + node + ":9080");
    entry.setHttpsEndpoint(httpsEndpoint);
    entry.setImages(List.of(images));
    Map<String, Object> body =
        Map.of(
            "apiVersion",
            "osdeploy.io/v1alpha1",
            "kind",
            "DistributionPoint",
            "metadata",
            Map.of("name", dp, "namespace", ns()),
            "status",
            Map.of("nodes", List.of(JSON.convertValue(entry, Map.class))));
    OperatorTests.applyStatusAsNode(
        client, DistributionPoint.class, ns(), dp, node, JSON.valueToTree(body).toString());
  }

  private static ImageState verified(OSImage image) {
    ImageState s =
        new ImageState(
            image.getMetadata().getName(), image.getSpec().getSha256(), ImageState.Phase.Verified);
    s.setBytes(image.getSpec().getSizeBytes());
    s.setTotalBytes(image.getSpec().getSizeBytes());
    return s;
  }

  private static ImageState failed(OSImage image, String reason, String message) {
    ImageState s =
        new ImageState(
            image.getMetadata().getName(), image.getSpec().getSha256(), ImageState.Phase.Failed);
    s.setReason(reason);
    s.setMessage(message);
    return s;
  }

  @Test
  void dependentsAppearWithTheDaemonSpecAndOwnerReferences() throws IOException {
    applySample("osimage.yaml", OSImage.class);
    DistributionPoint dp = applySample("distributionpoint.yaml", DistributionPoint.class);
    String name = "site-berlin-daemon";

    ConfigMap cm = awaitDependent(ConfigMap.class, name);
    DaemonConfig config = assertDoesNotThrowParse(cm.getData().get(DaemonConfig.CONFIG_KEY));
    assertEquals(ns(), config.getNamespace());
    assertEquals("site-berlin", config.getDistributionPoint());
    assertEquals(
        List.of("win11-24h2"),
        config.getImages().stream().map(DaemonConfig.Image::getName).toList());
    assertEquals(
        "3f8a1c7e9b2d4a6f8e0c1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a",
        config.getImages().get(0).getSha256());

    DaemonSet ds = awaitDependent(DaemonSet.class, name);
    var pod = ds.getSpec().getTemplate().getSpec();
    assertTrue(pod.getHostNetwork());
    assertEquals("ClusterFirstWithHostNet", pod.getDnsPolicy());
    assertEquals(Map.of("osdeploy.io/site", "berlin"), pod.getNodeSelector());
    assertEquals("osdeploy.io/dedicated", pod.getTolerations().get(0).getKey());
    assertEquals(name, pod.getServiceAccountName());
    assertTrue(pod.getSecurityContext().getRunAsNonRoot());
    assertEquals("/var/lib/osdeploy/content", pod.getVolumes().get(0).getHostPath().getPath());
    Container daemon = pod.getContainers().get(0);
    assertEquals(OperatorSettings.DEFAULT_DAEMON_IMAGE, daemon.getImage());
    assertEquals("/readyz", daemon.getReadinessProbe().getHttpGet().getPath());
    assertEquals("/healthz", daemon.getLivenessProbe().getHttpGet().getPath());
    assertNotNull(daemon.getResources().getRequests().get("cpu"));
    assertNotNull(daemon.getResources().getRequests().get("memory"));
    assertFalse(daemon.getSecurityContext().getAllowPrivilegeEscalation());
    assertTrue(daemon.getSecurityContext().getReadOnlyRootFilesystem());
    assertEquals(List.of("ALL"), daemon.getSecurityContext().getCapabilities().getDrop());
    // PXE is on in the sample: binding its low ports is the one capability added.
    assertEquals(
        List.of("NET_BIND_SERVICE"), daemon.getSecurityContext().getCapabilities().getAdd());
    assertNotNull(
        ds.getSpec()
            .getTemplate()
            .getMetadata()
            .getAnnotations()
            .get(DaemonResources.CONFIG_HASH_ANNOTATION));

    Service svc = awaitDependent(Service.class, name);
    assertEquals(9080, svc.getSpec().getPorts().get(0).getPort());
    assertEquals(DaemonResources.selectorLabels(dp), svc.getSpec().getSelector());
    Role role = awaitDependent(Role.class, name);
    assertTrue(
        role.getRules().stream()
            .anyMatch(
                r ->
                    r.getResources().contains("distributionpoints/status")
                        && r.getVerbs().equals(List.of("get", "patch"))));
    assertTrue(
        role.getRules().stream()
            .anyMatch(
                r ->
                    r.getResources().equals(List.of("tasksequencedeployments/status"))
                        && r.getVerbs().equals(List.of("get", "patch"))),
        "daemons write agents' progress into deployments' status");
    assertTrue(
        role.getRules().stream()
            .allMatch(
                r ->
                    !r.getResourceNames().isEmpty()
                        || r.getVerbs().equals(List.of("get", "list", "watch"))
                        || r.getResources().stream().allMatch(res -> res.endsWith("/status"))),
        "a rule names its objects, only reads, or only touches status");
    awaitDependent(RoleBinding.class, name);
    awaitDependent(ServiceAccount.class, name);

    for (HasMetadata dependent : List.<HasMetadata>of(cm, ds, svc, role)) {
      OwnerReference owner = dependent.getMetadata().getOwnerReferences().get(0);
      assertEquals("DistributionPoint", owner.getKind(), dependent.getKind());
      assertEquals(dp.getMetadata().getUid(), owner.getUid(), dependent.getKind());
      assertEquals(
          "osdeploy-operator",
          dependent.getMetadata().getLabels().get("app.kubernetes.io/managed-by"));
      assertEquals(
          "site-berlin", dependent.getMetadata().getLabels().get("app.kubernetes.io/instance"));
    }

    // Garbage collection (kube-controller-manager) removes them with the distribution point.
    client.resource(dp).delete();
    await()
        .atMost(TIMEOUT)
        .until(() -> client.apps().daemonSets().inNamespace(ns()).withName(name).get() == null);
    await()
        .atMost(TIMEOUT)
        .until(() -> client.configMaps().inNamespace(ns()).withName(name).get() == null);
    await()
        .atMost(TIMEOUT)
        .until(() -> client.services().inNamespace(ns()).withName(name).get() == null);
  }

  private static DaemonConfig assertDoesNotThrowParse(String json) {
    try {
      return DaemonConfig.parse(json);
    } catch (Exception e) {
      throw new AssertionError("daemon config does not parse: " + e.getMessage(), e);
    }
  }

  @Test
  void machineTokenKeysComeFirstAreMountedAndRotateKeepingTheOlderKey() throws IOException {
    applySample("osimage.yaml", OSImage.class);
    DistributionPoint dp = applySample("distributionpoint.yaml", DistributionPoint.class);
    String name = MachineTokenSecret.name(dp);
    Secret keys = awaitDependent(Secret.class, name);
    assertEquals(1, keys.getData().size(), keys.getData().keySet().toString());
    assertEquals("DistributionPoint", keys.getMetadata().getOwnerReferences().get(0).getKind());
    DaemonSet ds = awaitDependent(DaemonSet.class, "site-berlin-daemon");
    var pod = ds.getSpec().getTemplate().getSpec();
    assertEquals(
        name,
        pod.getVolumes().stream()
            .filter(v -> v.getSecret() != null && name.equals(v.getSecret().getSecretName()))
            .findFirst()
            .orElseThrow()
            .getSecret()
            .getSecretName());
    assertTrue(
        pod.getContainers().get(0).getVolumeMounts().stream()
            .anyMatch(
                m ->
                    m.getMountPath().equals(DaemonConfig.MACHINE_TOKEN_DIRECTORY)
                        && Boolean.TRUE.equals(m.getReadOnly())));

    // A key two days old is due for rotation: the next reconcile adds one and keeps it.
    MachineTokenKeys.Key old =
        MachineTokenKeys.generate(java.time.Instant.now().minus(java.time.Duration.ofDays(2)));
    String oldText =
        java.util.Base64.getEncoder()
            .encodeToString(
                MachineTokenKeys.encode(old).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    keys.setData(Map.of(old.id(), oldText));
    keys.getMetadata().setManagedFields(null);
    client.secrets().inNamespace(ns()).resource(keys).update();
    client
        .resources(DistributionPoint.class)
        .inNamespace(ns())
        .withName(dp.getMetadata().getName())
        .edit(
            d -> {
              Map<String, String> annotations = new java.util.HashMap<>();
              if (d.getMetadata().getAnnotations() != null) {
                annotations.putAll(d.getMetadata().getAnnotations());
              }
              annotations.put("osdeploy.io/test-touch", "1");
              d.getMetadata().setAnnotations(annotations);
              return d;
            });
    org.awaitility.Awaitility.await()
        .atMost(OperatorTests.TIMEOUT)
        .until(() -> client.secrets().inNamespace(ns()).withName(name).get().getData().size() == 2);
    Map<String, String> rotated = client.secrets().inNamespace(ns()).withName(name).get().getData();
    assertEquals(oldText, rotated.get(old.id()), "the older key is kept as it was");
  }

  @Test
  void readyWhenEveryNodeHoldsEveryImageVerifiedAndChecksumMismatchShows() throws IOException {
    OSImage image = applySample("osimage.yaml", OSImage.class);
    applySample("distributionpoint.yaml", DistributionPoint.class);
    applySample("tasksequencedeployment.yaml", TaskSequenceDeployment.class);
    awaitCondition(
        DistributionPoint.class, "site-berlin", ConditionType.RECONCILING, "True", "RollingOut");
    awaitCondition(
        TaskSequenceDeployment.class,
        "win11-bare-metal",
        ConditionType.RECONCILING,
        "True",
        "WaitingForContent");

    rollOut("site-berlin", 2);
    awaitCondition(
        DistributionPoint.class,
        "site-berlin",
        ConditionType.RECONCILING,
        "True",
        "WaitingForNodes");
    report("site-berlin", "node-a", verified(image));
    report("site-berlin", "node-b", verified(image));
    DistributionPoint ready =
        awaitCondition(
            DistributionPoint.class, "site-berlin", ConditionType.READY, "True", "ContentVerified");
    assertEquals(2, ready.getStatus().getNodes().size(), "both nodes' entries are kept");
    assertEquals(2, ready.getStatus().getDesiredNodes());
    OSImage distributed =
        awaitCondition(OSImage.class, "win11-24h2", ConditionType.READY, "True", "Distributed");
    assertEquals(1, distributed.getStatus().getTargetedBy());
    assertEquals(List.of("site-berlin"), distributed.getStatus().getVerifiedOn());
    awaitCondition(
        TaskSequenceDeployment.class,
        "win11-bare-metal",
        ConditionType.READY,
        "True",
        "ContentReady");

    report("site-berlin", "node-b", failed(image, ImageState.CHECKSUM_MISMATCH, "got sha256 0000"));
    DistributionPoint mismatch =
        awaitCondition(
            DistributionPoint.class,
            "site-berlin",
            ConditionType.RECONCILING,
            "True",
            ImageState.CHECKSUM_MISMATCH);
    assertTrue(
        message(mismatch, ConditionType.RECONCILING)
            .contains("node-b: OSImage win11-24h2: ChecksumMismatch"),
        message(mismatch, ConditionType.RECONCILING));
    OSImage stalled =
        awaitCondition(
            OSImage.class,
            "win11-24h2",
            ConditionType.STALLED,
            "True",
            ImageState.CHECKSUM_MISMATCH);
    assertTrue(
        message(stalled, ConditionType.STALLED)
            .contains("DistributionPoint site-berlin, node node-b: ChecksumMismatch"),
        message(stalled, ConditionType.STALLED));

    report("site-berlin", "node-b", verified(image));
    awaitCondition(
        DistributionPoint.class, "site-berlin", ConditionType.READY, "True", "ContentVerified");
    awaitCondition(OSImage.class, "win11-24h2", ConditionType.READY, "True", "Distributed");
  }

  @Test
  void aSitePxePasswordWaitsForItsSecretAndReachesTheDaemonsOnlyAsAHash() throws Exception {
    applySample("osimage.yaml", OSImage.class);
    DistributionPoint dp = loadSample("distributionpoint.yaml", DistributionPoint.class);
    BootableMediaSpec.SecretKeyRef ref = new BootableMediaSpec.SecretKeyRef();
    ref.setName("berlin-pxe");
    dp.getSpec().getPxe().setPasswordSecretRef(ref);
    apply(dp);
    DistributionPoint waiting =
        awaitCondition(
            DistributionPoint.class,
            "site-berlin",
            ConditionType.RECONCILING,
            "True",
            "WaitingForReferences");
    assertTrue(
        message(waiting, ConditionType.RECONCILING)
            .contains(
                "spec.pxe.passwordSecretRef: a non-empty key password in Secret "
                    + ns()
                    + "/berlin-pxe"),
        message(waiting, ConditionType.RECONCILING));

    createSecret("berlin-pxe", "Opaque", Map.of("password", "pxe secret\n"));
    String name = "site-berlin-daemon";
    // The daemons' ConfigMap may not exist yet: it is written once the reference resolves.
    String hash =
        await()
            .atMost(TIMEOUT)
            .until(
                () -> {
                  ConfigMap cm = client.configMaps().inNamespace(ns()).withName(name).get();
                  return cm == null
                      ? null
                      : assertDoesNotThrowParse(cm.getData().get(DaemonConfig.CONFIG_KEY))
                          .getPxePasswordHash();
                },
                h -> h != null);
    assertTrue(io.osdeploy.auth.MediaPassword.verify("pxe secret".toCharArray(), hash));
    assertFalse(
        client
            .configMaps()
            .inNamespace(ns())
            .withName(name)
            .get()
            .toString()
            .contains("pxe secret"),
        "only the hash reaches the daemons");
  }

  @Test
  void aContentPathOutsideTheAllowedDirectoriesChangesNothingOnTheNodes() throws Exception {
    applySample("osimage.yaml", OSImage.class);
    DistributionPoint dp = loadSample("distributionpoint.yaml", DistributionPoint.class);
    apply(dp);
    String name = "site-berlin-daemon";
    DaemonSet before = awaitDependent(DaemonSet.class, name);
    assertEquals(
        "/var/lib/osdeploy/content",
        before.getSpec().getTemplate().getSpec().getVolumes().get(0).getHostPath().getPath());

    for (String hostile : List.of("/etc", "/var/lib/osdeploy/../../etc", "/var/lib/osdeploy2")) {
      dp.getSpec().setContentPath(hostile);
      apply(dp);
      // Each refusal names the path it refuses: this generation's.
      await()
          .atMost(TIMEOUT)
          .until(
              () ->
                  awaitCondition(
                      DistributionPoint.class,
                      "site-berlin",
                      ConditionType.STALLED,
                      "True",
                      "ContentPathNotAllowed"),
              stalled ->
                  message(stalled, ConditionType.STALLED).startsWith("spec.contentPath: ")
                      && message(stalled, ConditionType.STALLED).contains(hostile));
      DaemonSet after = client.apps().daemonSets().inNamespace(ns()).withName(name).get();
      assertEquals(
          "/var/lib/osdeploy/content",
          after.getSpec().getTemplate().getSpec().getVolumes().get(0).getHostPath().getPath(),
          hostile + " reached the DaemonSet");
      assertEquals(
          before.getMetadata().getGeneration(), after.getMetadata().getGeneration(), hostile);
    }
  }

  @Test
  void httpsWaitsForItsSecretAndEveryNodeAndPinnedMediaUseItsEndpoints() throws Exception {
    OSImage image = applySample("osimage.yaml", OSImage.class);
    DistributionPoint dp = loadSample("distributionpoint.yaml", DistributionPoint.class);
    DistributionPointSpec.Tls tls = new DistributionPointSpec.Tls();
    tls.setSecretName("berlin-tls");
    tls.setRequired(true);
    dp.getSpec().setTls(tls);
    apply(dp);
    DistributionPoint waiting =
        awaitCondition(
            DistributionPoint.class,
            "site-berlin",
            ConditionType.RECONCILING,
            "True",
            "WaitingForReferences");
    assertTrue(
        message(waiting, ConditionType.RECONCILING)
            .contains("spec.tls.secretName: Secret " + ns() + "/berlin-tls"),
        message(waiting, ConditionType.RECONCILING));

    // The daemon gets the port and the mounted Secret; the Service offers both ports.
    String name = "site-berlin-daemon";
    DaemonConfig config =
        assertDoesNotThrowParse(
            awaitDependent(ConfigMap.class, name).getData().get(DaemonConfig.CONFIG_KEY));
    assertEquals(DistributionPointSpec.Tls.DEFAULT_PORT, config.getHttpsPort());
    assertEquals(DaemonConfig.TLS_DIRECTORY, config.getTlsDirectory());
    assertTrue(config.isTlsRequired(), "plain HTTP off for machines");
    var pod = awaitDependent(DaemonSet.class, name).getSpec().getTemplate().getSpec();
    var volume =
        pod.getVolumes().stream()
            .filter(v -> v.getSecret() != null && v.getName().equals("tls"))
            .findFirst()
            .orElseThrow();
    assertEquals("berlin-tls", volume.getSecret().getSecretName());
    assertTrue(volume.getSecret().getOptional(), "a missing Secret does not hold the pod");
    var daemon = pod.getContainers().get(0);
    assertTrue(
        daemon.getVolumeMounts().stream()
            .anyMatch(
                m ->
                    m.getName().equals(volume.getName())
                        && m.getMountPath().equals(DaemonConfig.TLS_DIRECTORY)
                        && m.getReadOnly()));
    assertTrue(
        daemon.getPorts().stream()
            .anyMatch(p -> p.getName().equals("https") && p.getContainerPort() == 9443));
    assertEquals(65532L, pod.getSecurityContext().getFsGroup(), "the daemon reads the key");
    Service service = awaitDependent(Service.class, name);
    assertEquals(
        List.of("http", "https"),
        service.getSpec().getPorts().stream().map(p -> p.getName()).toList());

    createSecret(
        "berlin-tls", "kubernetes.io/tls", Map.of("tls.crt", "certificate", "tls.key", "key"));
    awaitCondition(
        DistributionPoint.class, "site-berlin", ConditionType.RECONCILING, "True", "RollingOut");
    rollOut("site-berlin", 2);
    report("site-berlin", "node-a", "https://10.0.0.1:9443", verified(image));
    report("site-berlin", "node-b", verified(image));
    DistributionPoint noHttps =
        awaitCondition(
            DistributionPoint.class,
            "site-berlin",
            ConditionType.RECONCILING,
            "True",
            "WaitingForHttps");
    assertTrue(
        message(noHttps, ConditionType.RECONCILING).contains("reported yet by node-b"),
        message(noHttps, ConditionType.RECONCILING));
    report("site-berlin", "node-b", "https://10.0.0.2:9443", verified(image));
    awaitCondition(
        DistributionPoint.class, "site-berlin", ConditionType.READY, "True", "ContentVerified");

    // Media pinning a CA, without boot servers of its own: the nodes' HTTPS endpoints.
    applySample("tasksequencedeployment.yaml", TaskSequenceDeployment.class);
    BootableMedia media = new BootableMedia();
    media.getMetadata().setName("pinned");
    media.getMetadata().setNamespace(ns());
    media.setSpec(new BootableMediaSpec());
    media.getSpec().setType(BootableMediaSpec.MediaType.Usb);
    media.getSpec().setDeployment("win11-bare-metal");
    media.getSpec().setCaFingerprint("ab".repeat(32));
    apply(media);
    BootableMedia built =
        awaitCondition(BootableMedia.class, "pinned", ConditionType.READY, "True", "Built");
    byte[] iso =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(built.getStatus().getArtifact().getUrl()))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray())
            .body();
    String text = new String(iso, java.nio.charset.StandardCharsets.ISO_8859_1);
    int first = text.indexOf("chain --replace https://10.0.0.1:9443/v1/boot.ipxe");
    int second = text.indexOf("chain --replace https://10.0.0.2:9443/v1/boot.ipxe");
    assertTrue(first >= 0 && second > first, "both nodes over HTTPS, in node order");
    assertFalse(text.contains("chain --replace http://"), "no plain HTTP server");
  }

  private DistributionPoint dpWithRange(
      String name, String start, String end, int portStart, int portEnd) {
    DistributionPoint dp = new DistributionPoint();
    dp.getMetadata().setName(name);
    dp.setSpec(new io.osdeploy.api.v1alpha1.DistributionPointSpec());
    DistributionPointMulticast m = new DistributionPointMulticast();
    m.setEnabled(true);
    DistributionPointMulticast.AddressRange a = new DistributionPointMulticast.AddressRange();
    a.setStart(start);
    a.setEnd(end);
    m.setAddressRange(a);
    DistributionPointMulticast.PortRange p = new DistributionPointMulticast.PortRange();
    p.setStart(portStart);
    p.setEnd(portEnd);
    m.setPortRange(p);
    dp.getSpec().setMulticast(m);
    return dp;
  }

  @Test
  void newerOverlappingDistributionPointIsStalledUntilItsRangesChange()
      throws InterruptedException {
    apply(dpWithRange("older", "239.20.0.1", "239.20.0.100", 41000, 41099));
    Thread.sleep(1100); // creation timestamps have one-second resolution
    apply(dpWithRange("newer", "239.20.0.50", "239.20.0.150", 41050, 41150));

    DistributionPoint newer =
        awaitCondition(
            DistributionPoint.class,
            "newer",
            ConditionType.STALLED,
            "True",
            "MulticastRangeConflict");
    assertTrue(
        message(newer, ConditionType.STALLED).contains("DistributionPoint " + ns() + "/older"),
        message(newer, ConditionType.STALLED));
    DistributionPoint older =
        awaitCondition(
            DistributionPoint.class, "older", ConditionType.STALLED, "False", "NotStalled");
    assertNotNull(awaitDependent(DaemonSet.class, "older-daemon"));
    assertTrue(
        client.apps().daemonSets().inNamespace(ns()).withName("newer-daemon").get() == null,
        "a conflicting distribution point gets no daemon");
    assertNotEquals(
        "MulticastRangeConflict",
        older.getStatus().condition(ConditionType.READY).orElseThrow().getReason());

    apply(dpWithRange("newer", "239.20.1.1", "239.20.1.100", 41050, 41150));
    awaitCondition(DistributionPoint.class, "newer", ConditionType.STALLED, "False", "NotStalled");
    awaitDependent(DaemonSet.class, "newer-daemon");
  }

  @Test
  void onlySettingsThatNeedARestartRollThePods() throws IOException {
    applySample("osimage.yaml", OSImage.class);
    DistributionPoint dp = applySample("distributionpoint.yaml", DistributionPoint.class);
    DaemonSet before = awaitDependent(DaemonSet.class, "site-berlin-daemon");
    awaitCondition(
        DistributionPoint.class, "site-berlin", ConditionType.RECONCILING, "True", "RollingOut");

    // A label the operator does not use, and an image more in the library: the same pods.
    dp.getMetadata().setLabels(Map.of("team", "site-ops"));
    dp.getSpec().getOsImages().setNames(List.of("win11-24h2", "win10-22h2"));
    OSImage second = applySample("osimage.yaml", OSImage.class);
    second.getMetadata().setName("win10-22h2");
    apply(second);
    apply(dp);
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                client
                    .configMaps()
                    .inNamespace(ns())
                    .withName("site-berlin-daemon")
                    .get()
                    .getData()
                    .get(DaemonConfig.CONFIG_KEY)
                    .contains("win10-22h2"));
    DaemonSet after =
        client.apps().daemonSets().inNamespace(ns()).withName("site-berlin-daemon").get();
    assertEquals(before.getSpec().getTemplate(), after.getSpec().getTemplate());
    assertEquals(before.getMetadata().getGeneration(), after.getMetadata().getGeneration());

    // Turning PXE off changes what the pods do: the template's config hash changes.
    dp.getSpec().getPxe().setEnabled(false);
    apply(dp);
    await()
        .atMost(TIMEOUT)
        .until(
            () ->
                !before
                    .getSpec()
                    .getTemplate()
                    .getMetadata()
                    .getAnnotations()
                    .equals(
                        client
                            .apps()
                            .daemonSets()
                            .inNamespace(ns())
                            .withName("site-berlin-daemon")
                            .get()
                            .getSpec()
                            .getTemplate()
                            .getMetadata()
                            .getAnnotations()));
  }

  @Test
  void anIdleOperatorWritesNothing() throws IOException, InterruptedException {
    for (int i = 0; i < 10; i++) {
      OSImage image = applySample("osimage.yaml", OSImage.class);
      image.getMetadata().setName("image-" + i);
      apply(image);
    }
    for (int i = 0; i < 5; i++) {
      DistributionPoint dp =
          dpWithRange("dp-" + i, "239.30." + i + ".1", "239.30." + i + ".254", 42000, 42099);
      dp.getSpec().setOsImages(new io.osdeploy.api.v1alpha1.ImageSelection());
      dp.getSpec().getOsImages().setNames(List.of("image-" + i, "image-" + (i + 5)));
      apply(dp);
    }
    for (int i = 0; i < 5; i++) {
      TaskSequenceDeployment tsd =
          applySample("tasksequencedeployment.yaml", TaskSequenceDeployment.class);
      tsd.getMetadata().setName("tsd-" + i);
      tsd.getSpec()
          .getTaskSequence()
          .getSteps()
          .get(1)
          .getApplyOperatingSystem()
          .setOsImage("image-" + i);
      tsd.getSpec().setDistributionPoints(List.of("dp-" + i));
      apply(tsd);
    }
    for (int i = 0; i < 5; i++) {
      awaitCondition(
          DistributionPoint.class, "dp-" + i, ConditionType.RECONCILING, "True", "RollingOut");
      awaitCondition(
          TaskSequenceDeployment.class,
          "tsd-" + i,
          ConditionType.RECONCILING,
          "True",
          "WaitingForContent");
    }
    for (int i = 0; i < 10; i++) {
      awaitCondition(
          OSImage.class, "image-" + i, ConditionType.RECONCILING, "True", "Distributing");
    }
    Thread.sleep(5000); // let the last events settle

    Instant from = Instant.now();
    Thread.sleep(60_000);
    Instant to = Instant.now();
    List<String> writes = operatorWrites(from, to);
    assertEquals(List.of(), writes, "write requests by the operator while idle");
  }

  /** Write requests the operator's client made between two instants, from the audit log. */
  private static List<String> operatorWrites(Instant from, Instant to) throws IOException {
    List<String> writes = new java.util.ArrayList<>();
    for (String line : Files.readAllLines(TestCluster.auditLog())) {
      JsonNode event = JSON.readTree(line);
      if (!"ResponseComplete".equals(event.path("stage").asText())
          || !event.path("userAgent").asText().startsWith(OPERATOR_AGENT)) {
        continue;
      }
      Instant at = Instant.parse(event.path("requestReceivedTimestamp").asText());
      String verb = event.path("verb").asText();
      if (at.isAfter(from)
          && at.isBefore(to)
          && List.of("create", "update", "patch", "delete", "deletecollection").contains(verb)) {
        writes.add(verb + " " + event.path("requestURI").asText());
      }
    }
    return writes;
  }
}
