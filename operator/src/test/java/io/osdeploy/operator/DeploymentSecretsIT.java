package io.osdeploy.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.osdeploy.api.v1alpha1.BootableMediaSpec;
import io.osdeploy.api.v1alpha1.ConditionType;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.DistributionPointSpec;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.auth.DeploymentSecrets;
import io.osdeploy.config.DaemonConfig;
import io.osdeploy.operator.reconciler.References;
import io.osdeploy.operator.testing.InvalidSample;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.TestCluster;
import io.osdeploy.operator.tokens.DeploymentSecretsSecret;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Secret values a deployment hands its machines, against a real kube-apiserver: a deployment
 * waits for its Secrets naming the field, the operator copies the values into each of its
 * distribution points' deployment-secrets Secret (which the daemon pods mount) and keeps the copy
 * in step with the Secrets and the deployment, and no value appears in a status, event or
 * ConfigMap.
 */
class DeploymentSecretsIT {
  private static final String ADMIN = "Adm1n-Pa55-w\u00f6rd";
  private static final String JOINER = "J0in-Pa55";
  private static final String DEPLOYMENT = "win11-bare-metal";

  @RegisterExtension
  static LocallyRunOperatorExtension operator = OperatorTests.operator(TestCluster.newClient());

  private final KubernetesClient client = TestCluster.client();

  @TempDir Path dir;

  private String ns() {
    return operator.getNamespace();
  }

  @AfterEach
  void deleteEverything() {
    OperatorTests.deleteAll(
        client, ns(), TaskSequenceDeployment.class, DistributionPoint.class, OSImage.class);
    client.secrets().inNamespace(ns()).withLabel(References.SECRET_LABEL).delete();
  }

  private <T extends HasMetadata> T sample(String file, Class<T> kind) throws IOException {
    try (InputStream in = Files.newInputStream(InvalidSample.SAMPLES.resolve(file))) {
      T item = client.resources(kind).load(in).item();
      item.getMetadata().setNamespace(ns());
      return item;
    }
  }

  private void secret(String name, String type, Map<String, String> data) {
    client
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns())
                .addToLabels(References.SECRET_LABEL, "true")
                .addToLabels(DeploymentSecrets.LABEL, "true")
                .endMetadata()
                .withType(type)
                .withStringData(data)
                .build())
        .serverSideApply();
  }

  private Map<String, String> copied(String secretName) {
    Secret s = client.secrets().inNamespace(ns()).withName(secretName).get();
    Map<String, String> data = new TreeMap<>();
    if (s != null && s.getData() != null) {
      s.getData()
          .forEach(
              (k, v) ->
                  data.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
    }
    return data;
  }

  private TaskSequenceDeployment awaitDeployment(String type, String reason, String inMessage) {
    TaskSequenceDeployment d =
        OperatorTests.awaitCondition(
            client, ns(), TaskSequenceDeployment.class, DEPLOYMENT, type, "True", reason, () -> "");
    String message = d.getStatus().condition(type).orElseThrow().getMessage();
    assertTrue(inMessage == null || message.contains(inMessage), message);
    return d;
  }

  @Test
  void valuesReachTheDistributionPointsSecretOnlyAndFollowTheirSources() throws Exception {
    OSImage image = sample("osimage.yaml", OSImage.class);
    DistributionPoint dp = sample("distributionpoint.yaml", DistributionPoint.class);
    TaskSequenceDeployment deployment =
        sample("tasksequencedeployment.yaml", TaskSequenceDeployment.class);
    var steps = deployment.getSpec().getTaskSequence().getSteps();
    int settings = 3;
    assertTrue(steps.get(settings).getApplyWindowsSettings() != null);
    BootableMediaSpec.SecretKeyRef admin = new BootableMediaSpec.SecretKeyRef();
    admin.setName("windows-admin");
    admin.setKey("admin-password");
    steps.get(settings).getApplyWindowsSettings().setAdministratorPassword(admin);
    Step join = new Step();
    join.setName("Join the domain");
    join.setJoinDomain(new Step.JoinDomain());
    join.getJoinDomain().setDomain("corp.example.com");
    join.getJoinDomain().setOrganizationalUnit("OU=Desks,DC=corp,DC=example,DC=com");
    join.getJoinDomain().setAccount(new Step.SecretName());
    join.getJoinDomain().getAccount().setName("domain-join");
    steps.add(settings + 1, join);
    OperatorTests.apply(client, ns(), "secrets-it", image);
    dp = OperatorTests.apply(client, ns(), "secrets-it", dp);
    OperatorTests.apply(client, ns(), "secrets-it", deployment);
    String copy = DeploymentSecretsSecret.name(dp);

    // The sample offers itself to unknown computers, and its distribution point has no HTTPS:
    // either would expose the values, so the deployment stalls, naming both.
    TaskSequenceDeployment unsafe =
        awaitDeployment(
            ConditionType.STALLED,
            "UnsafeSecrets",
            "spec.target.unknownComputers: a deployment whose steps hand Secrets"
                + " (spec.taskSequence.steps[3], spec.taskSequence.steps[4]) is for named machines"
                + " only");
    assertTrue(
        unsafe
            .getStatus()
            .condition(ConditionType.STALLED)
            .get()
            .getMessage()
            .contains(
                "spec.distributionPoints[0]: DistributionPoint site-berlin needs spec.tls with"
                    + " required: true"));
    deployment.getSpec().getTarget().setUnknownComputers(false);
    DistributionPointSpec.Tls tls = new DistributionPointSpec.Tls();
    tls.setSecretName("site-berlin-tls");
    tls.setRequired(true);
    dp.getSpec().setTls(tls);
    dp = OperatorTests.apply(client, ns(), "secrets-it", dp);
    OperatorTests.apply(client, ns(), "secrets-it", deployment);

    // Neither Secret exists: the deployment waits, naming each field and Secret.
    TaskSequenceDeployment waiting =
        awaitDeployment(
            ConditionType.RECONCILING,
            "WaitingForReferences",
            "spec.taskSequence.steps[3].applyWindowsSettings.administratorPassword: Secret "
                + ns()
                + "/windows-admin labelled osdeploy.io/secret=true and"
                + " osdeploy.io/deployment-secret=true");
    String message = waiting.getStatus().condition(ConditionType.RECONCILING).get().getMessage();
    assertTrue(
        message.contains("spec.taskSequence.steps[4].joinDomain.account: Secret " + ns()), message);

    // A Secret without the key named is named as such.
    secret("windows-admin", "Opaque", Map.of("password", "not this one"));
    secret(
        "domain-join",
        "kubernetes.io/basic-auth",
        Map.of("username", "CORP\\joiner", "password", JOINER));
    awaitDeployment(
        ConditionType.RECONCILING,
        "WaitingForReferences",
        "steps[3].applyWindowsSettings.administratorPassword: a non-empty key admin-password in"
            + " Secret "
            + ns()
            + "/windows-admin");

    // Both there: the copy holds each value under <deployment>.<step>.<name>, and the deployment
    // goes on to wait for its content (no daemon runs here).
    secret("windows-admin", "Opaque", Map.of("admin-password", ADMIN));
    Map<String, String> expected =
        Map.of(
            DEPLOYMENT + ".3.administratorPassword", ADMIN,
            DEPLOYMENT + ".4.username", "CORP\\joiner",
            DEPLOYMENT + ".4.password", JOINER);
    await().atMost(OperatorTests.TIMEOUT).until(() -> copied(copy).equals(expected));
    awaitDeployment(ConditionType.RECONCILING, "WaitingForContent", null);
    Secret stored = client.secrets().inNamespace(ns()).withName(copy).get();
    assertEquals("DistributionPoint", stored.getMetadata().getOwnerReferences().get(0).getKind());
    assertEquals(
        dp.getMetadata().getUid(), stored.getMetadata().getOwnerReferences().get(0).getUid());

    // The daemon pods mount it where their configuration says.
    DaemonSet ds =
        client
            .apps()
            .daemonSets()
            .inNamespace(ns())
            .withName(dp.getMetadata().getName() + "-daemon")
            .get();
    var pod = ds.getSpec().getTemplate().getSpec();
    assertTrue(
        pod.getVolumes().stream()
            .anyMatch(v -> v.getSecret() != null && copy.equals(v.getSecret().getSecretName())));
    assertTrue(
        pod.getContainers().get(0).getVolumeMounts().stream()
            .anyMatch(m -> DaemonConfig.DEPLOYMENT_SECRETS_DIRECTORY.equals(m.getMountPath())));

    // A daemon outside a pod gets the same files, kept up to date.
    Path mirror = dir.resolve("deployment-secrets");
    try (AutoCloseable following = DeploymentSecretsSecret.mirror(client, dp, mirror)) {
      Path file = mirror.resolve(DEPLOYMENT + ".3.administratorPassword");
      await().atMost(OperatorTests.TIMEOUT).until(() -> Files.exists(file));
      assertEquals(ADMIN, Files.readString(file));

      // A changed password is copied; a value too long for Windows stalls the deployment and is
      // not copied.
      secret("windows-admin", "Opaque", Map.of("admin-password", "Changed-1"));
      await()
          .atMost(OperatorTests.TIMEOUT)
          .until(() -> Files.exists(file) && Files.readString(file).equals("Changed-1"));
      secret("windows-admin", "Opaque", Map.of("admin-password", "x".repeat(128)));
      awaitDeployment(
          ConditionType.STALLED,
          "InvalidSecret",
          "steps[3].applyWindowsSettings.administratorPassword: the value of key admin-password is"
              + " longer than 127 characters in Secret "
              + ns()
              + "/windows-admin");
      await().atMost(OperatorTests.TIMEOUT).until(() -> !Files.exists(file));
      secret("windows-admin", "Opaque", Map.of("admin-password", "ends-in-a-newline\n"));
      awaitDeployment(
          ConditionType.STALLED,
          "InvalidSecret",
          "the value of key admin-password has a control character (a trailing newline?)");
      secret("windows-admin", "Opaque", Map.of("admin-password", ADMIN));
      awaitDeployment(ConditionType.RECONCILING, "WaitingForContent", null);
    }

    // No value in any status, event or ConfigMap of the namespace.
    String everything =
        Serialization.asYaml(
                client.resources(TaskSequenceDeployment.class).inNamespace(ns()).list())
            + Serialization.asYaml(
                client.resources(DistributionPoint.class).inNamespace(ns()).list())
            + Serialization.asYaml(client.v1().events().inNamespace(ns()).list())
            + Serialization.asYaml(client.configMaps().inNamespace(ns()).list());
    for (String value : new String[] {ADMIN, JOINER, "Changed-1"}) {
      assertFalse(everything.contains(value), "a secret value shows outside Secrets");
    }

    // Dropping the join step drops its values; deleting the deployment drops the rest.
    TaskSequenceDeployment current =
        client.resources(TaskSequenceDeployment.class).inNamespace(ns()).withName(DEPLOYMENT).get();
    current.getSpec().getTaskSequence().getSteps().remove(settings + 1);
    OperatorTests.apply(client, ns(), "secrets-it", current);
    await()
        .atMost(OperatorTests.TIMEOUT)
        .until(() -> copied(copy).equals(Map.of(DEPLOYMENT + ".3.administratorPassword", ADMIN)));
    client.resources(TaskSequenceDeployment.class).inNamespace(ns()).withName(DEPLOYMENT).delete();
    await().atMost(OperatorTests.TIMEOUT).until(() -> copied(copy).isEmpty());
  }
}
