package io.osdeploy.operator.reconciler;

import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.auth.DeploymentSecrets;
import io.osdeploy.operator.status.Assessment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Whether a deployment's Secret values can reach its machines safely: each named Secret exists,
 * carries both labels and a usable value (else it waits, or stalls with {@code InvalidSecret}); and
 * nothing would expose them (else it stalls with {@code UnsafeSecrets}): unknown computers, which
 * any host can claim to be; a distribution point that does not insist on HTTPS; a capture of the
 * disk after the answer file holds them.
 */
final class DeploymentSecretChecks {
  private DeploymentSecretChecks() {}

  /**
   * The assessment when something is wrong; missing Secrets and keys are added to {@code missing}
   * (the deployment waits for them) and give none.
   */
  static Optional<Assessment> assess(
      TaskSequenceDeployment deployment,
      Map<String, DistributionPoint> dps,
      Context<TaskSequenceDeployment> context,
      List<String> missing) {
    List<DeploymentSecrets.Entry> entries = DeploymentSecrets.of(deployment.getSpec());
    if (entries.isEmpty()) {
      return Optional.empty();
    }
    List<String> unsafe = unsafe(deployment, entries, dps);
    if (!unsafe.isEmpty()) {
      return Optional.of(Assessment.stalled("UnsafeSecrets", String.join("; ", unsafe)));
    }
    String ns = deployment.getMetadata().getNamespace();
    String name = deployment.getMetadata().getName();
    List<String> invalid = new ArrayList<>();
    for (DeploymentSecrets.Entry e : entries) {
      Optional<Secret> secret = References.lookup(context, Secret.class, ns, e.secret());
      String where = e.field() + ": ";
      String in = " in Secret " + ns + "/" + e.secret();
      String wanted =
          where
              + References.secretWanted(ns, e.secret())
              + " and "
              + DeploymentSecrets.LABEL
              + "=true";
      if (secret.isEmpty() || !labelled(secret.get())) {
        if (!missing.contains(wanted)) {
          missing.add(wanted);
        }
        continue;
      }
      String value = value(secret.get(), e.key());
      if (value == null || value.isEmpty()) {
        missing.add(where + "a non-empty key " + e.key() + in);
        continue;
      }
      String problem = DeploymentSecrets.problem(name, e, value);
      if (problem != null) {
        invalid.add(where + problem + in);
      }
    }
    return invalid.isEmpty()
        ? Optional.empty()
        : Optional.of(Assessment.stalled("InvalidSecret", String.join("; ", invalid)));
  }

  static boolean labelled(Secret secret) {
    Map<String, String> labels = secret.getMetadata().getLabels();
    return labels != null && "true".equals(labels.get(DeploymentSecrets.LABEL));
  }

  /** The key's value as text, or null (absent or not Base64). */
  static String value(Secret secret, String key) {
    String base64 = secret.getData() == null ? null : secret.getData().get(key);
    if (base64 == null) {
      return null;
    }
    try {
      return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static List<String> unsafe(
      TaskSequenceDeployment deployment,
      List<DeploymentSecrets.Entry> entries,
      Map<String, DistributionPoint> dps) {
    String steps =
        entries.stream()
            .map(e -> "spec.taskSequence.steps[" + e.step() + "]")
            .distinct()
            .collect(Collectors.joining(", "));
    List<String> unsafe = new ArrayList<>();
    if (deployment.getSpec().getTarget() != null
        && Boolean.TRUE.equals(deployment.getSpec().getTarget().getUnknownComputers())) {
      unsafe.add(
          "spec.target.unknownComputers: a deployment whose steps hand Secrets ("
              + steps
              + ") is for named machines only: any host can say it is an unknown computer");
    }
    List<String> names = deployment.getSpec().getDistributionPoints();
    for (int i = 0; names != null && i < names.size(); i++) {
      DistributionPoint dp = dps.get(names.get(i));
      if (dp != null
          && (dp.getSpec().getTls() == null
              || !Boolean.TRUE.equals(dp.getSpec().getTls().getRequired()))) {
        unsafe.add(
            "spec.distributionPoints["
                + i
                + "]: DistributionPoint "
                + names.get(i)
                + " needs spec.tls with required: true, as the Secrets of "
                + steps
                + " travel only over HTTPS");
      }
    }
    int first = entries.get(0).step();
    List<Step> all = deployment.getSpec().getTaskSequence().getSteps();
    for (int i = first + 1; i < all.size(); i++) {
      if (all.get(i).getCaptureImage() != null) {
        unsafe.add(
            "spec.taskSequence.steps["
                + i
                + "].captureImage: would capture the answer file holding the Secrets of "
                + steps
                + "; capture before those steps");
      }
    }
    return unsafe;
  }
}
