package io.osdeploy.operator.testing;

import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

/**
 * A status write as a distribution point's daemon makes it: a server-side apply through the status
 * subresource with the node's field manager, forced.
 */
public final class DaemonStatusWrite {
  private DaemonStatusWrite() {}

  /**
   * Applies {@code body} (JSON) to {@code namespace/name}'s status as node {@code node}'s daemon.
   */
  public static void apply(
      KubernetesClient client,
      Class<? extends CustomResource<?, ?>> type,
      String namespace,
      String name,
      String node,
      String body) {
    client
        .resources(type)
        .inNamespace(namespace)
        .withName(name)
        .subresource("status")
        .patch(
            new PatchContext.Builder()
                .withPatchType(PatchType.SERVER_SIDE_APPLY)
                .withFieldManager("osdeploy-daemon-" + node)
                .withForce(true)
                .build(),
            body);
  }
}
