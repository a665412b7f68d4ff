package io.osdeploy.operator.tokens;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.operator.dependent.DaemonResources;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Secret the operator keeps for a distribution point's daemons: labelled as the daemon's
 * resources, owned by the distribution point (so that it goes with it), its values text.
 */
final class OwnedSecret {
  private OwnedSecret() {}

  /** The Secret {@code name} as it is now, or null. */
  static Secret read(KubernetesClient client, DistributionPoint dp, String name) {
    return client.secrets().inNamespace(dp.getMetadata().getNamespace()).withName(name).get();
  }

  /** Its data decoded as UTF-8; a value that is not Base64 reads as empty. */
  static Map<String, String> decoded(Secret secret) {
    Map<String, String> data = new LinkedHashMap<>();
    if (secret == null || secret.getData() == null) {
      return data;
    }
    secret
        .getData()
        .forEach(
            (k, v) -> {
              try {
                data.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8));
              } catch (IllegalArgumentException e) {
                data.put(k, "");
              }
            });
    return data;
  }

  /**
   * Writes {@code data} as the Secret {@code name}: created when {@code current} is null, else
   * replaced (failing on a concurrent change, which the next reconcile retries).
   */
  static void write(
      KubernetesClient client,
      DistributionPoint dp,
      String name,
      Secret current,
      Map<String, String> data) {
    ObjectMeta meta = DaemonResources.metadata(dp);
    meta.setName(name);
    meta.setOwnerReferences(
        List.of(
            new OwnerReferenceBuilder()
                .withApiVersion(dp.getApiVersion())
                .withKind(dp.getKind())
                .withName(dp.getMetadata().getName())
                .withUid(dp.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build()));
    Map<String, String> encoded = new LinkedHashMap<>();
    data.forEach(
        (k, v) ->
            encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    Secret desired =
        new SecretBuilder().withMetadata(meta).withType("Opaque").withData(encoded).build();
    var secrets = client.secrets().inNamespace(dp.getMetadata().getNamespace());
    if (current == null) {
      secrets.resource(desired).create();
    } else {
      desired.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
      secrets.resource(desired).update();
    }
  }
}
