package io.osdeploy.operator.gitops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osdeploy.operator.testing.TestCluster;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code overlays/namespaced/} against a real kube-apiserver: the operator watches its sites'
 * namespace only, and its ServiceAccount may act there and nowhere else: not in {@code
 * kube-system}, not in any namespace the overlay does not bind, not on cluster-scoped objects. The
 * cluster is shared with {@code DeployManifestsIT}, which binds the base's ServiceAccount
 * cluster-wide, so this test installs the overlay's objects under a namespace of its own in place
 * of {@code osdeploy-system} (the CRDs left out: other tests install them their own way).
 */
class NamespacedInstallIT {
  private static final Path OVERLAY = Path.of("..", "overlays", "namespaced");
  private static final String SYSTEM_NS = "osdeploy-namespaced-it";
  private static final String SITES = "osdeploy-sites";
  private static final String OPERATOR =
      "system:serviceaccount:" + SYSTEM_NS + ":osdeploy-operator";
  private static final List<String> GROUPS =
      List.of(
          "system:serviceaccounts", "system:serviceaccounts:" + SYSTEM_NS, "system:authenticated");

  private static KubernetesClient admin;
  private static List<HasMetadata> installed;

  @BeforeAll
  static void applyTheOverlay() throws Exception {
    admin = TestCluster.client();
    String rendered =
        DeployManifestsIT.run(DeployManifestsIT.kubectl(), "kustomize", OVERLAY.toString())
            .replace("osdeploy-system", SYSTEM_NS);
    installed =
        admin
            .load(new ByteArrayInputStream(rendered.getBytes(StandardCharsets.UTF_8)))
            .items()
            .stream()
            .filter(o -> !o.getKind().equals("CustomResourceDefinition"))
            .toList();
    assertTrue(
        installed.stream().noneMatch(o -> o.getKind().equals("ClusterRoleBinding")),
        "no ClusterRoleBinding in the namespaced install");
    for (HasMetadata o : installed) {
      admin.resource(o).forceConflicts().serverSideApply();
    }
  }

  @AfterAll
  static void remove() {
    for (HasMetadata o : installed) {
      if (!o.getKind().equals("ClusterRole")) {
        admin.resource(o).delete();
      }
    }
  }

  @ParameterizedTest(name = "{0} {2} in {3}: {4}")
  @CsvSource({
    // Where its sites are: what the operator does.
    "create, apps, daemonsets, osdeploy-sites, true",
    "get, '', secrets, osdeploy-sites, true",
    "create, rbac.authorization.k8s.io, rolebindings, osdeploy-sites, true",
    "patch, osdeploy.io, distributionpoints/status, osdeploy-sites, true",
    "create, coordination.k8s.io, leases, osdeploy-namespaced-it, true",
    // kube-system and every other namespace: nothing.
    "create, apps, daemonsets, kube-system, false",
    "patch, apps, daemonsets, kube-system, false",
    "create, rbac.authorization.k8s.io, roles, kube-system, false",
    "create, rbac.authorization.k8s.io, rolebindings, kube-system, false",
    "get, '', secrets, kube-system, false",
    "list, '', secrets, default, false",
    "create, '', configmaps, default, false",
    // Cluster-scoped: nothing, the CRDs included.
    "list, osdeploy.io, osimages, '', false",
    "patch, apiextensions.k8s.io, customresourcedefinitions, '', false",
    "create, rbac.authorization.k8s.io, clusterrolebindings, '', false",
  })
  void theOperatorMayActInItsSitesNamespacesOnly(
      String verb, String group, String resource, String namespace, boolean expected) {
    assertEquals(
        expected,
        DeployManifestsIT.allowed(
            OPERATOR, GROUPS, verb, group, resource, namespace.isEmpty() ? null : namespace, null),
        verb + " " + resource + " in " + (namespace.isEmpty() ? "the cluster" : namespace));
  }

  @ParameterizedTest(name = "watches {0}")
  @CsvSource({SITES})
  void theOperatorWatchesTheSitesNamespace(String sites) {
    Deployment deployment =
        admin.apps().deployments().inNamespace(SYSTEM_NS).withName("osdeploy-operator").get();
    var env = deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv();
    assertTrue(
        env.stream()
            .anyMatch(
                e -> e.getName().equals("OSDEPLOY_WATCH_NAMESPACES") && sites.equals(e.getValue())),
        env.toString());
    assertFalse(
        admin.rbac().clusterRoleBindings().list().getItems().stream()
            .anyMatch(
                b ->
                    b.getSubjects() != null
                        && b.getSubjects().stream()
                            .anyMatch(s -> SYSTEM_NS.equals(s.getNamespace()))),
        "no ClusterRoleBinding names the operator");
  }
}
