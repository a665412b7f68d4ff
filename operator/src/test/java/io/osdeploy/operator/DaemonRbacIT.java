package io.osdeploy.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.DistributionPointSpec;
import io.osdeploy.operator.dependent.DaemonResources;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.TestCluster;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a distribution point's daemon may do, asked of the API server's own RBAC authorizer ({@code
 * kubectl auth can-i} as the daemon's ServiceAccount) once the operator has made the daemon's Role:
 * read its own configuration and the media passwords, read the kinds that make up policy, write its
 * own node entries and deployments' progress; and nothing else: no Secrets, no other namespace, no
 * other distribution point, no writes to specs.
 */
class DaemonRbacIT {
  @RegisterExtension
  static LocallyRunOperatorExtension operator = OperatorTests.operator(TestCluster.newClient());

  private final KubernetesClient client = TestCluster.client();

  @AfterEach
  void clean() {
    OperatorTests.deleteAll(client, operator.getNamespace(), DistributionPoint.class);
  }

  @Test
  void theDaemonsServiceAccountHasItsOwnNeedsAndNothingMore() {
    String ns = operator.getNamespace();
    DistributionPoint dp = new DistributionPoint();
    dp.getMetadata().setName("site-rbac");
    dp.setSpec(new DistributionPointSpec());
    OperatorTests.apply(client, ns, "rbac-it", dp);
    String name = DaemonResources.name(dp);
    await()
        .atMost(OperatorTests.TIMEOUT)
        .until(
            () ->
                client.rbac().roles().inNamespace(ns).withName(name).get() != null
                    && client.rbac().roleBindings().inNamespace(ns).withName(name).get() != null);

    String[][] allowed = {
      {"get", "", "configmaps", ns, name},
      {"watch", "", "configmaps", ns, "osdeploy-media-passwords"},
      {"get", "osdeploy.io", "distributionpoints", ns, "site-rbac"},
      {"patch", "osdeploy.io", "distributionpoints/status", ns, "site-rbac"},
      {"list", "osdeploy.io", "tasksequencedeployments", ns, null},
      {"watch", "osdeploy.io", "osimages", ns, null},
      {"patch", "osdeploy.io", "tasksequencedeployments/status", ns, "any-deployment"},
    };
    String[][] denied = {
      {"get", "", "secrets", ns, "media-password"},
      {"get", "", "secrets", ns, name + "-machine-tokens"},
      {"list", "", "secrets", ns, null},
      {"watch", "", "secrets", null, null},
      {"get", "", "configmaps", ns, "another-config"},
      {"create", "", "configmaps", ns, null},
      {"get", "", "configmaps", "default", name},
      {"get", "osdeploy.io", "distributionpoints", "default", "site-rbac"},
      {"patch", "osdeploy.io", "distributionpoints/status", ns, "another-site"},
      {"patch", "osdeploy.io", "tasksequencedeployments/status", "default", "any-deployment"},
      {"update", "osdeploy.io", "tasksequencedeployments", ns, "any-deployment"},
      {"delete", "osdeploy.io", "osimages", ns, "any-image"},
      {"patch", "osdeploy.io", "osimages/status", ns, "any-image"},
      {"create", "", "pods", ns, null},
      {"create", "", "pods/exec", ns, "a-pod"},
      {"get", "", "nodes", null, "node-a"},
      {"create", "rbac.authorization.k8s.io", "rolebindings", ns, null},
    };
    List<String> wrong = new ArrayList<>();
    for (String[] a : allowed) {
      if (!can(ns, name, a)) {
        wrong.add("should be allowed: " + String.join(" ", nonNull(a)));
      }
    }
    for (String[] d : denied) {
      if (can(ns, name, d)) {
        wrong.add("should be denied: " + String.join(" ", nonNull(d)));
      }
    }
    assertEquals(List.of(), wrong);
  }

  private boolean can(String ns, String serviceAccount, String[] q) {
    String[] parts = q[2].split("/", 2);
    return client
        .authorization()
        .v1()
        .subjectAccessReview()
        .create(
            new SubjectAccessReviewBuilder()
                .withNewSpec()
                .withUser("system:serviceaccount:" + ns + ":" + serviceAccount)
                .withGroups(
                    "system:serviceaccounts",
                    "system:serviceaccounts:" + ns,
                    "system:authenticated")
                .withNewResourceAttributes()
                .withVerb(q[0])
                .withGroup(q[1])
                .withResource(parts[0])
                .withSubresource(parts.length > 1 ? parts[1] : null)
                .withNamespace(q[3])
                .withName(q[4])
                .endResourceAttributes()
                .endSpec()
                .build())
        .getStatus()
        .getAllowed();
  }

  private static List<String> nonNull(String[] q) {
    List<String> out = new ArrayList<>();
    for (String s : q) {
      out.add(s == null ? "*" : s);
    }
    return out;
  }
}
