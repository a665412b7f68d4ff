package io.osdeploy.operator.reconciler;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Name references between osdeploy resources in one namespace, resolved from informer caches (never
 * by a call to the API server) and indexed so that a change to the referenced object wakes every
 * resource that refers to it.
 */
public final class References {
  private References() {}

  /**
   * An event source for {@code referenced} objects that wakes each primary whose {@code names}
   * include the object's name.
   */
  static <P extends HasMetadata, T extends HasMetadata> InformerEventSource<T, P> watchReferenced(
      EventSourceContext<P> context,
      Class<T> referenced,
      Class<P> primary,
      Function<P, List<String>> names) {
    return watchReferenced(context, referenced, primary, names, null, null);
  }

  /**
   * The label a Secret needs for the operator to see it: the operator caches no other Secret, so a
   * password or certificate it is not meant to read never enters its memory.
   */
  public static final String SECRET_LABEL = "osdeploy.io/secret";

  /** How a resource's status names a Secret it waits for. */
  static String secretWanted(String namespace, String name) {
    return "Secret " + namespace + "/" + name + " labelled " + SECRET_LABEL + "=true";
  }

  /** As {@link #watchReferenced}, for Secrets, and only those labelled {@link #SECRET_LABEL}. */
  static <P extends HasMetadata> InformerEventSource<Secret, P> watchSecrets(
      EventSourceContext<P> context, Class<P> primary, Function<P, List<String>> names) {
    return watchReferenced(context, Secret.class, primary, names, SECRET_LABEL + "=true", null);
  }

  /** As {@link #watchSecrets}, also waking the primaries {@code others} finds for a Secret. */
  static <P extends HasMetadata> InformerEventSource<Secret, P> watchSecrets(
      EventSourceContext<P> context,
      Class<P> primary,
      Function<P, List<String>> names,
      Function<Secret, Set<ResourceID>> others) {
    return watchReferenced(context, Secret.class, primary, names, SECRET_LABEL + "=true", others);
  }

  private static <P extends HasMetadata, T extends HasMetadata>
      InformerEventSource<T, P> watchReferenced(
          EventSourceContext<P> context,
          Class<T> referenced,
          Class<P> primary,
          Function<P, List<String>> names,
          String labelSelector,
          Function<T, Set<ResourceID>> others) {
    String index = "ref-" + referenced.getSimpleName();
    context
        .getPrimaryCache()
        .addIndexer(
            index,
            p ->
                names.apply(p).stream()
                    .map(n -> indexKey(p.getMetadata().getNamespace(), n))
                    .collect(Collectors.toList()));
    var config =
        InformerEventSourceConfiguration.from(referenced, primary)
            .withSecondaryToPrimaryMapper(
                (T object) -> {
                  Set<ResourceID> woken =
                      context
                          .getPrimaryCache()
                          .byIndex(
                              index,
                              indexKey(
                                  object.getMetadata().getNamespace(),
                                  object.getMetadata().getName()))
                          .stream()
                          .map(ResourceID::fromResource)
                          .collect(Collectors.toSet());
                  if (others != null) {
                    woken.addAll(others.apply(object));
                  }
                  return woken;
                })
            .withNamespacesInheritedFromController()
            .withLabelSelector(labelSelector)
            .build();
    return new InformerEventSource<>(config, context);
  }

  /** The cached object of type {@code type} named {@code name} in {@code namespace}. */
  static <P extends HasMetadata, T extends HasMetadata> Optional<T> lookup(
      Context<P> context, Class<T> type, String namespace, String name) {
    @SuppressWarnings("unchecked")
    InformerEventSource<T, P> source =
        (InformerEventSource<T, P>) context.eventSourceRetriever().getEventSourceFor(type);
    return source.get(new ResourceID(name, namespace));
  }

  private static String indexKey(String namespace, String name) {
    return namespace + "/" + name;
  }
}
