package io.osdeploy.operator.tokens;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.auth.DeploymentSecrets;
import io.osdeploy.operator.dependent.DaemonResources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Secret holding the values a distribution point's deployments hand to machines ({@link
 * DeploymentSecrets}): one key per value, {@code <deployment>.<step>.<name>}, copied by the
 * operator from the Secrets the deployments name, owned by the distribution point. Only its daemon
 * pods see it, as a mounted volume, and they hand a value only to a targeted machine with its
 * token. The operator writes the keys and never the values into a log, an event or a status.
 *
 * <p>The keys follow the deployment's current steps. While a newer generation that moved a step is
 * not Ready, daemons still serve the older one, whose machines are told to try again (503) for a
 * value filed under the new step number until the newer generation is published.
 */
public final class DeploymentSecretsSecret {
  private static final Logger log = LoggerFactory.getLogger(DeploymentSecretsSecret.class);

  private DeploymentSecretsSecret() {}

  public static String name(DistributionPoint dp) {
    return DaemonResources.name(dp) + "-deployment-secrets";
  }

  /**
   * What the Secret should hold for the deployments that name {@code dp}: every value whose Secret
   * and key {@code value} finds (by Secret name and key; empty for a Secret without {@link
   * DeploymentSecrets#LABEL}) and that has no {@link DeploymentSecrets#problem}.
   */
  public static Map<String, String> desired(
      DistributionPoint dp,
      Collection<TaskSequenceDeployment> deployments,
      BiFunction<String, String, Optional<String>> value) {
    Map<String, String> data = new TreeMap<>();
    String dpName = dp.getMetadata().getName();
    for (TaskSequenceDeployment d : deployments) {
      if (d.getSpec() == null
          || d.getSpec().getDistributionPoints() == null
          || !d.getSpec().getDistributionPoints().contains(dpName)) {
        continue;
      }
      for (DeploymentSecrets.Entry e : DeploymentSecrets.of(d.getSpec())) {
        String name = d.getMetadata().getName();
        value
            .apply(e.secret(), e.key())
            .filter(v -> !v.isEmpty() && DeploymentSecrets.problem(name, e, v) == null)
            .ifPresent(v -> data.put(e.entry(name), v));
      }
    }
    return data;
  }

  /** Creates the Secret, or updates it when its data differ from {@code data}. */
  public static void reconcile(
      KubernetesClient client, DistributionPoint dp, Map<String, String> data) {
    Secret current = OwnedSecret.read(client, dp, name(dp));
    if (current != null && decoded(current).equals(data)) {
      return;
    }
    OwnedSecret.write(client, dp, name(dp), current, data);
    log.info(
        "{}/{}: deployment secrets now {}",
        dp.getMetadata().getNamespace(),
        name(dp),
        data.keySet());
  }

  static Map<String, String> decoded(Secret secret) {
    return new TreeMap<>(OwnedSecret.decoded(secret));
  }

  /**
   * Keeps {@code dir} holding the distribution point's deployment secrets as a pod's mount does
   * (one file per key, readable by the owner only), for a daemon run outside a pod ({@code
   * --deployment-secrets}). Closing stops following the Secret.
   */
  public static AutoCloseable mirror(KubernetesClient client, DistributionPoint dp, Path dir)
      throws IOException {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    SharedIndexInformer<Secret> informer =
        client
            .secrets()
            .inNamespace(dp.getMetadata().getNamespace())
            .withName(name(dp))
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Secret secret) {
                    write(dir, decoded(secret));
                  }

                  @Override
                  public void onUpdate(Secret older, Secret newer) {
                    write(dir, decoded(newer));
                  }

                  @Override
                  public void onDelete(Secret secret, boolean deletedFinalStateUnknown) {
                    write(dir, Map.of());
                  }
                });
    return informer::close;
  }

  private static synchronized void write(Path dir, Map<String, String> data) {
    try {
      for (Map.Entry<String, String> e : data.entrySet()) {
        Path partial = dir.resolve("." + e.getKey() + ".partial");
        Files.deleteIfExists(partial);
        // Created readable by the owner only, before a byte is written.
        Files.createFile(
            partial,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(partial, e.getValue());
        Files.move(partial, dir.resolve(e.getKey()), StandardCopyOption.ATOMIC_MOVE);
      }
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          if (!data.containsKey(f.getFileName().toString())) {
            Files.deleteIfExists(f);
          }
        }
      }
    } catch (IOException e) {
      log.warn("deployment secrets: cannot write {}: {}", dir, e.getMessage());
    }
  }
}
