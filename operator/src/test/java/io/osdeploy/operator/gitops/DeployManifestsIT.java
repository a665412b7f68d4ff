package io.osdeploy.operator.gitops;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.Operator;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.BootableMediaSpec;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.operator.OsdeployOperator;
import io.osdeploy.operator.local.Crds;
import io.osdeploy.operator.local.LocalApiServer;
import io.osdeploy.operator.media.MediaPasswordBook;
import io.osdeploy.operator.reconciler.References;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.Prerequisites;
import io.osdeploy.operator.testing.TestCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code deploy/} against a real kube-apiserver: Kubernetes accepts every object of the Kustomize
 * base, the operator's ServiceAccount may do what the operator does and not more, and the real
 * operator, running as nothing but that ServiceAccount, does its work without a single request
 * refused.
 */
class DeployManifestsIT {
  private static final Path DEPLOY = Path.of("..", "deploy");
  private static final Path SAMPLES = Path.of("..", "samples");
  private static final String SYSTEM_NS = "osdeploy-system";
  private static final String OPERATOR =
      "system:serviceaccount:" + SYSTEM_NS + ":osdeploy-operator";
  private static final List<String> OPERATOR_GROUPS =
      List.of(
          "system:serviceaccounts", "system:serviceaccounts:" + SYSTEM_NS, "system:authenticated");
  private static final String SITE_NS = "deploy-manifests-it";

  private static KubernetesClient admin;
  private static Path kubeconfig;
  private static String kubectl;
  private static String applied;

  @BeforeAll
  static void applyTheKustomizeBase() throws Exception {
    admin = TestCluster.client();
    kubectl = kubectl();
    kubeconfig = Files.createTempFile("deploy-it", ".kubeconfig");
    Files.writeString(kubeconfig, TestCluster.kubeConfigYaml());
    applied =
        run(
            kubectl,
            "--kubeconfig",
            kubeconfig.toString(),
            "apply",
            "--server-side",
            "-k",
            DEPLOY.toString());
  }

  /** Other test classes install the CRDs their own way; leave the cluster without them. */
  @AfterAll
  static void removeCrds() {
    admin.namespaces().withName(SITE_NS).delete();
    OperatorTests.removeCrds(admin);
  }

  private static Map<String, String> deploymentPodLabels() {
    return admin
        .apps()
        .deployments()
        .inNamespace(SYSTEM_NS)
        .withName("osdeploy-operator")
        .get()
        .getSpec()
        .getTemplate()
        .getMetadata()
        .getLabels();
  }

  @Test
  void everyObjectOfTheBaseIsAccepted() {
    for (String object :
        List.of(
            "namespace/osdeploy-system",
            "customresourcedefinition.apiextensions.k8s.io/osimages.osdeploy.io",
            "customresourcedefinition.apiextensions.k8s.io/distributionpoints.osdeploy.io",
            "customresourcedefinition.apiextensions.k8s.io/tasksequencedeployments.osdeploy.io",
            "customresourcedefinition.apiextensions.k8s.io/bootablemedias.osdeploy.io",
            "serviceaccount/osdeploy-operator",
            "role.rbac.authorization.k8s.io/osdeploy-operator-leader-election",
            "clusterrole.rbac.authorization.k8s.io/osdeploy-operator",
            "rolebinding.rbac.authorization.k8s.io/osdeploy-operator-leader-election",
            "clusterrolebinding.rbac.authorization.k8s.io/osdeploy-operator",
            "service/osdeploy-media",
            "service/osdeploy-operator-metrics",
            "persistentvolumeclaim/osdeploy-media",
            "deployment.apps/osdeploy-operator",
            "networkpolicy.networking.k8s.io/osdeploy-operator")) {
      assertTrue(applied.contains(object + " serverside-applied"), object + " in\n" + applied);
    }
    assertEquals(
        15, applied.lines().filter(l -> l.endsWith(" serverside-applied")).count(), applied);

    // The network policy selects the operator's pod: in on 8088 and 8089 only, out to DNS and
    // the API.
    var policy =
        admin
            .network()
            .v1()
            .networkPolicies()
            .inNamespace(SYSTEM_NS)
            .withName("osdeploy-operator")
            .get();
    assertEquals(
        deploymentPodLabels().get("app.kubernetes.io/name"),
        policy.getSpec().getPodSelector().getMatchLabels().get("app.kubernetes.io/name"));
    assertEquals(List.of("Ingress", "Egress"), policy.getSpec().getPolicyTypes());
    assertEquals(
        List.of(8088, 8089),
        policy.getSpec().getIngress().get(0).getPorts().stream()
            .map(p -> p.getPort().getIntVal())
            .toList());

    Deployment deployment =
        admin.apps().deployments().inNamespace(SYSTEM_NS).withName("osdeploy-operator").get();
    var pod = deployment.getSpec().getTemplate().getSpec();
    assertEquals("osdeploy-operator", pod.getServiceAccountName());
    assertTrue(pod.getSecurityContext().getRunAsNonRoot());
    var container = pod.getContainers().get(0);
    assertEquals("osdeploy/operator:0.1.0-SNAPSHOT", container.getImage());
    assertTrue(container.getSecurityContext().getReadOnlyRootFilesystem());
    Map<String, String> env = new java.util.HashMap<>();
    container.getEnv().forEach(e -> env.put(e.getName(), e.getValue()));
    assertEquals("/var/lib/osdeploy/media", env.get("OSDEPLOY_MEDIA_DIR"));
    assertEquals("8088", env.get("OSDEPLOY_MEDIA_PORT"));
    assertNotNull(env.get("OSDEPLOY_DAEMON_IMAGE"));
    assertNotNull(env.get("OSDEPLOY_MEDIA_URL"));
    assertTrue(
        container.getVolumeMounts().stream()
            .anyMatch(m -> m.getMountPath().equals("/var/lib/osdeploy/media")));
    Service media = admin.services().inNamespace(SYSTEM_NS).withName("osdeploy-media").get();
    assertEquals(8088, media.getSpec().getPorts().get(0).getPort());
    // Prometheus finds /metrics on the operator's ops port through the Service or the pod; the
    // probes are there too, not on the media port.
    Service metrics =
        admin.services().inNamespace(SYSTEM_NS).withName("osdeploy-operator-metrics").get();
    assertEquals("ops", metrics.getSpec().getPorts().get(0).getTargetPort().getStrVal());
    assertEquals("ops", container.getReadinessProbe().getHttpGet().getPort().getStrVal());
    assertEquals("ops", container.getLivenessProbe().getHttpGet().getPort().getStrVal());
    assertEquals(
        deployment.getSpec().getSelector().getMatchLabels(), metrics.getSpec().getSelector());
    for (Map<String, String> annotations :
        List.of(
            metrics.getMetadata().getAnnotations(),
            deployment.getSpec().getTemplate().getMetadata().getAnnotations())) {
      assertEquals("true", annotations.get("prometheus.io/scrape"));
      assertEquals("8089", annotations.get("prometheus.io/port"));
      assertEquals("/metrics", annotations.get("prometheus.io/path"));
    }
  }

  /** verb, API group, resource[/subresource], namespace (empty: cluster-wide), name. */
  @ParameterizedTest(name = "{0} {2} in \"{3}\" {4}")
  @CsvSource({
    "watch, osdeploy.io, osimages, , ",
    "list, osdeploy.io, distributionpoints, , ",
    "watch, osdeploy.io, tasksequencedeployments, , ",
    "watch, osdeploy.io, bootablemedias, , ",
    "patch, osdeploy.io, bootablemedias, site, media",
    "patch, osdeploy.io, distributionpoints/status, site, dp",
    "patch, osdeploy.io, tasksequencedeployments/status, site, tsd",
    "patch, osdeploy.io, osimages/status, site, image",
    "patch, osdeploy.io, bootablemedias/status, site, media",
    "watch, '', configmaps, , ",
    "patch, '', configmaps, site, osdeploy-media-passwords",
    "create, '', configmaps, site, ",
    "update, '', configmaps, site, dp-daemon",
    "create, apps, daemonsets, site, ",
    "patch, apps, daemonsets, site, dp-daemon",
    "patch, '', services, site, dp-daemon",
    "patch, '', serviceaccounts, site, dp-daemon",
    "create, rbac.authorization.k8s.io, roles, site, ",
    "patch, rbac.authorization.k8s.io, rolebindings, site, dp-daemon",
    "watch, '', secrets, , ",
    "get, '', secrets, site, media-password",
    "create, '', secrets, site, ",
    "update, '', secrets, site, dp-daemon-machine-tokens",
    "update, '', secrets, site, dp-daemon-deployment-secrets",
    "patch, apiextensions.k8s.io, customresourcedefinitions, , osimages.osdeploy.io",
    "watch, apiextensions.k8s.io, customresourcedefinitions, , bootablemedias.osdeploy.io",
    "create, coordination.k8s.io, leases, osdeploy-system, ",
    "update, coordination.k8s.io, leases, osdeploy-system, osdeploy-operator",
    "patch, coordination.k8s.io, leases, osdeploy-system, osdeploy-operator",
    "create, '', events, site, ",
    "list, '', events, site, ",
    "list, '', pods, site, ",
    "watch, '', pods, site, ",
    "update, '', events, site, dp.0123456789abcdef"
  })
  void operatorMay(String verb, String group, String resource, String ns, String name) {
    assertTrue(allowed(OPERATOR, OPERATOR_GROUPS, verb, group, resource, ns, name));
  }

  @ParameterizedTest(name = "{0} {2} in \"{3}\" {4}")
  @CsvSource({
    // Secrets are read, never written.
    "patch, '', secrets, site, media-password",
    "delete, '', secrets, site, media-password",
    // The cluster is not its to reshape.
    "create, '', namespaces, , ",
    "delete, '', namespaces, , site",
    "delete, apiextensions.k8s.io, customresourcedefinitions, , osimages.osdeploy.io",
    "create, apiextensions.k8s.io, customresourcedefinitions, , ",
    "patch, apiextensions.k8s.io, customresourcedefinitions, , certificates.cert-manager.io",
    "list, '', nodes, , ",
    "create, '', pods, site, ",
    "create, '', pods/exec, site, daemon-pod",
    // What it makes, Kubernetes' garbage collector deletes.
    "delete, apps, daemonsets, site, dp-daemon",
    "delete, '', configmaps, site, dp-daemon",
    "create, apps, deployments, site, ",
    // Server-side apply changes these with patch; nothing replaces them whole.
    "update, apps, daemonsets, site, dp-daemon",
    "update, rbac.authorization.k8s.io, roles, site, dp-daemon",
    // It cannot grant more than it holds.
    "escalate, rbac.authorization.k8s.io, roles, site, dp-daemon",
    "bind, rbac.authorization.k8s.io, roles, site, dp-daemon",
    "bind, rbac.authorization.k8s.io, clusterroles, , cluster-admin",
    "create, rbac.authorization.k8s.io, clusterroles, , ",
    "create, rbac.authorization.k8s.io, clusterrolebindings, , ",
    "impersonate, '', users, , admin",
    // Users' specs are theirs; the operator only lifts the finalizer earlier versions put on media.
    "update, osdeploy.io, osimages, site, image",
    "patch, osdeploy.io, distributionpoints, site, dp",
    "delete, osdeploy.io, bootablemedias, site, media",
    // Leases only for itself, only in its namespace.
    "update, coordination.k8s.io, leases, osdeploy-system, someone-else",
    "create, coordination.k8s.io, leases, kube-system, ",
    "delete, '', events, site, dp.0123456789abcdef"
  })
  void operatorMayNot(String verb, String group, String resource, String ns, String name) {
    assertFalse(allowed(OPERATOR, OPERATOR_GROUPS, verb, group, resource, ns, name));
  }

  /**
   * The real operator with a client that is nothing but the ServiceAccount: it installs its CRDs,
   * starts every informer, makes a distribution point's daemon objects (including the daemon's
   * Role, which RBAC lets it create only because it holds every rule in it), reads a media's
   * password Secret, writes the password ConfigMap, reports every status and cleans up a deleted
   * media. Not one of its requests may be refused.
   */
  @Test
  void theOperatorDoesItsWorkAsItsServiceAccountAlone() throws Exception {
    Config config = Config.fromKubeconfig(TestCluster.kubeConfigYaml());
    config.setImpersonateUsername(OPERATOR);
    config.setImpersonateGroups(OPERATOR_GROUPS.toArray(String[]::new));
    config.setUserAgent("deploy-manifests-it-operator");
    admin
        .resource(new NamespaceBuilder().withNewMetadata().withName(SITE_NS).endMetadata().build())
        .serverSideApply();
    try (KubernetesClient asOperator = new KubernetesClientBuilder().withConfig(config).build()) {
      Crds.install(asOperator);
      Operator operator = OsdeployOperator.create(asOperator, OperatorTests.media().store());
      operator.start();
      try {
        runASite();
      } finally {
        operator.stop();
      }
    }
    List<String> refused = new ArrayList<>();
    TreeSet<String> used = new TreeSet<>();
    for (String line : Files.readAllLines(TestCluster.auditLog())) {
      JsonNode event = new ObjectMapper().readTree(line);
      if (!OPERATOR.equals(event.path("impersonatedUser").path("username").asText())
          || !"ResponseComplete".equals(event.path("stage").asText())) {
        continue;
      }
      JsonNode ref = event.path("objectRef");
      String request =
          event.path("verb").asText()
              + " "
              + ref.path("resource").asText()
              + (ref.has("subresource") ? "/" + ref.path("subresource").asText() : "")
              + (ref.has("apiGroup") ? "." + ref.path("apiGroup").asText() : "");
      used.add(request);
      if (event.path("responseStatus").path("code").asInt() == 403) {
        refused.add(request + " " + ref);
      }
    }
    System.out.println(
        "The operator's requests, as its ServiceAccount:\n  " + String.join("\n  ", used));
    assertTrue(used.size() > 10, "the audit log shows the operator's requests: " + used);
    assertEquals(List.of(), refused, "requests the API server refused the operator");
  }

  private static void runASite() throws IOException {
    DistributionPoint dp = sample("distributionpoint.yaml", DistributionPoint.class);
    OSImage image = sample("osimage.yaml", OSImage.class);
    TaskSequenceDeployment tsd =
        sample("tasksequencedeployment.yaml", TaskSequenceDeployment.class);
    BootableMedia media = sample("bootablemedia.yaml", BootableMedia.class);
    BootableMediaSpec.SecretKeyRef password = new BootableMediaSpec.SecretKeyRef();
    password.setName("media-password");
    media.getSpec().setPasswordSecretRef(password);
    admin
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("media-password")
                .withNamespace(SITE_NS)
                .addToLabels(References.SECRET_LABEL, "true")
                .endMetadata()
                .addToStringData("password", "correct horse battery staple")
                .build())
        .serverSideApply();
    for (HasMetadata r : List.of(image, dp, tsd, media)) {
      OperatorTests.apply(admin, SITE_NS, "deploy-manifests-it", r);
    }
    String daemon = dp.getMetadata().getName() + "-daemon";
    await()
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () -> {
              assertNotNull(get(DaemonSet.class, daemon), "DaemonSet");
              assertNotNull(get(ConfigMap.class, daemon), "daemon ConfigMap");
              assertNotNull(get(Service.class, daemon), "Service");
              assertNotNull(get(ServiceAccount.class, daemon), "ServiceAccount");
              assertNotNull(get(Role.class, daemon), "Role");
              assertNotNull(get(RoleBinding.class, daemon), "RoleBinding");
              ConfigMap passwords = get(ConfigMap.class, MediaPasswordBook.CONFIG_MAP);
              assertNotNull(passwords, "media password ConfigMap");
              assertTrue(passwords.getData().containsKey(media.getMetadata().getName()));
              assertTrue(
                  get(BootableMedia.class, media.getMetadata().getName())
                      .getMetadata()
                      .getFinalizers()
                      .isEmpty(),
                  "a media carries no finalizer: deleting it never waits for the operator");
              for (HasMetadata r : List.of(image, dp, tsd, media)) {
                assertObserved(r);
              }
            });

    // A change to the spec rewrites the daemon's configuration.
    String before = get(ConfigMap.class, daemon).getData().toString();
    dp.getSpec().setUnicastFallback(false);
    OperatorTests.apply(admin, SITE_NS, "deploy-manifests-it", dp);
    await()
        .atMost(OperatorTests.TIMEOUT)
        .until(() -> !get(ConfigMap.class, daemon).getData().toString().equals(before));
    await().atMost(OperatorTests.TIMEOUT).untilAsserted(() -> assertObserved(dp));

    // The daemon's Role, as the operator made it, lets the daemon read no Secret.
    String daemonUser = "system:serviceaccount:" + SITE_NS + ":" + daemon;
    List<String> daemonGroups = List.of("system:serviceaccounts", "system:authenticated");
    assertTrue(allowed(daemonUser, daemonGroups, "get", "", "configmaps", SITE_NS, daemon));
    assertTrue(
        allowed(
            daemonUser,
            daemonGroups,
            "patch",
            "osdeploy.io",
            "distributionpoints/status",
            SITE_NS,
            dp.getMetadata().getName()));
    assertFalse(allowed(daemonUser, daemonGroups, "get", "", "secrets", SITE_NS, "media-password"));
    assertFalse(allowed(daemonUser, daemonGroups, "list", "", "secrets", SITE_NS, null));
    assertFalse(allowed(daemonUser, daemonGroups, "get", "", "configmaps", SITE_NS, "other"));

    // Deleting the media removes it at once.
    admin
        .resources(BootableMedia.class)
        .inNamespace(SITE_NS)
        .withName(media.getMetadata().getName())
        .delete();
    await()
        .atMost(OperatorTests.TIMEOUT)
        .until(() -> get(BootableMedia.class, media.getMetadata().getName()) == null);
  }

  private static void assertObserved(HasMetadata r) {
    @SuppressWarnings("unchecked")
    CustomResource<?, ? extends io.osdeploy.api.v1alpha1.OsdeployStatus> current =
        (CustomResource<?, ? extends io.osdeploy.api.v1alpha1.OsdeployStatus>)
            get(r.getClass(), r.getMetadata().getName());
    assertNotNull(current, r.getKind());
    assertNotNull(current.getStatus(), r.getKind() + " status");
    assertEquals(
        current.getMetadata().getGeneration(),
        current.getStatus().getObservedGeneration(),
        r.getKind() + " observed by the operator");
  }

  private static <T extends HasMetadata> T get(Class<T> kind, String name) {
    return admin.resources(kind).inNamespace(SITE_NS).withName(name).get();
  }

  private static <T extends HasMetadata> T sample(String file, Class<T> kind) throws IOException {
    return Serialization.unmarshal(Files.readString(SAMPLES.resolve(file)), kind);
  }

  static boolean allowed(
      String user,
      List<String> groups,
      String verb,
      String group,
      String resource,
      String ns,
      String name) {
    String[] parts = resource.split("/", 2);
    SubjectAccessReview review =
        new SubjectAccessReviewBuilder()
            .withNewSpec()
            .withUser(user)
            .withGroups(groups)
            .withNewResourceAttributes()
            .withVerb(verb)
            .withGroup(group == null ? "" : group)
            .withResource(parts[0])
            .withSubresource(parts.length > 1 ? parts[1] : null)
            .withNamespace(ns)
            .withName(name)
            .endResourceAttributes()
            .endSpec()
            .build();
    return TestCluster.client()
        .authorization()
        .v1()
        .subjectAccessReview()
        .create(review)
        .getStatus()
        .getAllowed();
  }

  static String kubectl() {
    String version =
        System.getenv().getOrDefault("OSDEPLOY_K8S_VERSION", LocalApiServer.DEFAULT_VERSION);
    Path cached =
        Path.of(
            System.getProperty("user.home"),
            ".kubeapitest",
            "k8s",
            version + "-linux-amd64",
            "kubectl");
    if (Files.isExecutable(cached)) {
      return cached.toString();
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, "kubectl"))) {
        return Path.of(dir, "kubectl").toString();
      }
    }
    Prerequisites.require(false, "kubectl (scripts/k8s-test-binaries.sh builds it)");
    return null;
  }

  static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES), String.join(" ", command));
    assertEquals(0, p.exitValue(), String.join(" ", command) + "\n" + out);
    return out;
  }
}
