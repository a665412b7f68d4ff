package io.osdeploy.operator.status;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.osdeploy.digest.Sha256;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events about osdeploy resources, so that {@code kubectl describe} tells what happened.
 * An event is named after its resource, reason and message: the same event again adds to the count
 * of the one already there (and moves its last time) instead of making another. Writing an event
 * never fails a reconcile; a failure is logged.
 */
public final class ResourceEvents {
  public static final String NORMAL = "Normal";
  public static final String WARNING = "Warning";
  static final String COMPONENT = "osdeploy-operator";
  static final int MAX_MESSAGE = 1024;

  private static final Logger log = LoggerFactory.getLogger(ResourceEvents.class);

  private ResourceEvents() {}

  /** Records {@code reason} with {@code message} on {@code resource}. */
  public static void record(
      KubernetesClient client, HasMetadata resource, String type, String reason, String message) {
    String text =
        message == null
            ? ""
            : message.length() <= MAX_MESSAGE
                ? message
                : message.substring(0, MAX_MESSAGE - 1) + "…";
    String namespace = resource.getMetadata().getNamespace();
    String name = name(resource, type, reason, text);
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    try {
      Event existing = client.v1().events().inNamespace(namespace).withName(name).get();
      if (existing != null) {
        int count = existing.getCount() == null ? 1 : existing.getCount();
        existing.setCount(count + 1);
        existing.setLastTimestamp(now);
        client.v1().events().inNamespace(namespace).resource(existing).update();
        return;
      }
      client
          .v1()
          .events()
          .inNamespace(namespace)
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(name)
                  .withNamespace(namespace)
                  .endMetadata()
                  .withInvolvedObject(
                      new ObjectReferenceBuilder()
                          .withApiVersion(resource.getApiVersion())
                          .withKind(resource.getKind())
                          .withNamespace(namespace)
                          .withName(resource.getMetadata().getName())
                          .withUid(resource.getMetadata().getUid())
                          .build())
                  .withType(type)
                  .withReason(reason)
                  .withMessage(text)
                  .withCount(1)
                  .withFirstTimestamp(now)
                  .withLastTimestamp(now)
                  .withNewSource()
                  .withComponent(COMPONENT)
                  .endSource()
                  .withReportingComponent(COMPONENT)
                  .build())
          .create();
    } catch (KubernetesClientException e) {
      log.warn(
          "{}/{}: could not record the event {} ({}): {}",
          namespace,
          resource.getMetadata().getName(),
          reason,
          text,
          e.getMessage());
    }
  }

  /** The resource's name and a digest of what the event says: one event per distinct story. */
  static String name(HasMetadata resource, String type, String reason, String message) {
    byte[] digest =
        Sha256.newDigest()
            .digest(
                String.join(
                        "\n",
                        resource.getKind(),
                        resource.getMetadata().getUid() == null
                            ? ""
                            : resource.getMetadata().getUid(),
                        type,
                        reason,
                        message)
                    .getBytes(StandardCharsets.UTF_8));
    String base = resource.getMetadata().getName();
    if (base.length() > 200) {
      base = base.substring(0, 200);
    }
    return base + "." + HexFormat.of().formatHex(digest, 0, 8);
  }
}
