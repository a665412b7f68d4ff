package io.osdeploy.operator.tokens;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.auth.MachineTokenKeys;
import io.osdeploy.operator.dependent.DaemonResources;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Secret holding a distribution point's machine-token keys ({@link MachineTokenKeys}): created
 * with the first key before the daemons start, rotated as the keys' ages say on every reconcile (at
 * least every ten hours, JOSDK's longest interval), owned by the distribution point so that it goes
 * with it. Only the daemon pods see it, as a mounted volume; the daemons' RBAC reads no Secret.
 */
public final class MachineTokenSecret {
  private static final Logger log = LoggerFactory.getLogger(MachineTokenSecret.class);

  private MachineTokenSecret() {}

  public static String name(DistributionPoint dp) {
    return DaemonResources.name(dp) + "-machine-tokens";
  }

  /** Creates or rotates the Secret; returns its data as stored. */
  public static Map<String, String> reconcile(
      KubernetesClient client, DistributionPoint dp, Instant now, Duration rotation) {
    String ns = dp.getMetadata().getNamespace();
    Secret current = client.secrets().inNamespace(ns).withName(name(dp)).get();
    Map<String, String> keys = decoded(current);
    Map<String, String> next = MachineTokenKeys.rotate(keys, now, rotation);
    if (next == keys && current != null) {
      return keys;
    }
    OwnedSecret.write(client, dp, name(dp), current, next);
    if (current == null) {
      log.info("{}/{}: machine-token keys created ({})", ns, name(dp), next.keySet());
    } else {
      log.info("{}/{}: machine-token keys rotated, now {}", ns, name(dp), next.keySet());
    }
    return next;
  }

  /**
   * Writes the distribution point's keys into {@code dir} as a pod's mount has them (one file per
   * key, readable by the owner only), waiting up to {@code wait} for the operator to create them:
   * for a daemon run outside a pod ({@code --token-keys}). False when there were none in time.
   */
  public static boolean writeKeys(
      KubernetesClient client, DistributionPoint dp, java.nio.file.Path dir, Duration wait)
      throws java.io.IOException, InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    Map<String, String> keys = Map.of();
    while (true) {
      keys =
          decoded(
              client
                  .secrets()
                  .inNamespace(dp.getMetadata().getNamespace())
                  .withName(name(dp))
                  .get());
      if (!keys.isEmpty() || System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(250);
    }
    if (keys.isEmpty()) {
      return false;
    }
    java.nio.file.Files.createDirectories(dir);
    for (Map.Entry<String, String> key : keys.entrySet()) {
      java.nio.file.Path file = dir.resolve(key.getKey());
      java.nio.file.Files.writeString(file, key.getValue());
      java.nio.file.Files.setPosixFilePermissions(
          file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }
    return true;
  }

  private static Map<String, String> decoded(Secret secret) {
    return OwnedSecret.decoded(secret);
  }
}
