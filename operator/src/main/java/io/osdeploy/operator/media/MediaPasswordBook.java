package io.osdeploy.operator.media;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.auth.MediaPassword;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hands the boot servers each media's password hash: one ConfigMap per namespace ({@value
 * #CONFIG_MAP}), one key per media named like the media, each key applied by that media's own field
 * manager so media never overwrite each other. The daemons read it (and nothing else secret) to
 * check the password a machine's user types at boot. Only {@link MediaPassword} hashes go there,
 * never a password.
 */
public final class MediaPasswordBook {
  public static final String CONFIG_MAP = "osdeploy-media-passwords";
  static final String FIELD_MANAGER_PREFIX = "osdeploy-media/";

  /** What was last applied per media (by uid), so an unchanged hash is not written again. */
  private final Map<String, String> applied = new ConcurrentHashMap<>();

  /** Makes {@code hash} the media's entry, or removes the entry when {@code hash} is null. */
  public void publish(KubernetesClient client, BootableMedia media, String hash) {
    String uid = media.getMetadata().getUid();
    String value = hash == null ? "" : hash;
    if (Objects.equals(applied.get(uid), value)) {
      return;
    }
    if (hash == null && !applied.containsKey(uid) && !hasEntry(client, media)) {
      // Media without a password leave no trace: no entry, and no ConfigMap made for nothing.
      applied.put(uid, value);
      return;
    }
    ConfigMapBuilder body =
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName(CONFIG_MAP)
            .withNamespace(media.getMetadata().getNamespace())
            .addToLabels("app.kubernetes.io/managed-by", "osdeploy-operator")
            .endMetadata();
    if (hash != null) {
      body.addToData(media.getMetadata().getName(), hash);
    }
    ConfigMap map = body.build();
    client
        .resource(map)
        .fieldManager(fieldManager(media.getMetadata().getName()))
        .forceConflicts()
        .serverSideApply();
    applied.put(uid, value);
  }

  private static boolean hasEntry(KubernetesClient client, BootableMedia media) {
    ConfigMap current =
        client
            .configMaps()
            .inNamespace(media.getMetadata().getNamespace())
            .withName(CONFIG_MAP)
            .get();
    return current != null
        && current.getData() != null
        && current.getData().containsKey(media.getMetadata().getName());
  }

  /** Forgets a deleted media, after its entry is removed. */
  public void forget(BootableMedia media) {
    applied.remove(media.getMetadata().getUid());
  }

  static String fieldManager(String media) {
    String manager = FIELD_MANAGER_PREFIX + media;
    if (manager.length() <= 128) {
      return manager;
    }
    try {
      String hash =
          HexFormat.of()
              .formatHex(
                  MessageDigest.getInstance("SHA-256")
                      .digest(media.getBytes(StandardCharsets.UTF_8)))
              .substring(0, 16);
      return manager.substring(0, 128 - hash.length() - 1) + "-" + hash;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
