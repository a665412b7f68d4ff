package io.osdeploy.daemon.report;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.NodeStatus;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Server-side apply through the status subresource, with this node's field manager and force: the
 * node's entry has no other writer, so taking it over (from an earlier daemon on a renamed node,
 * say) is right.
 *
 * <p>The DistributionPoint is handled as a generic resource: the daemon must not fail to read the
 * status because a newer operator added fields this model does not know.
 */
public final class KubernetesNodeStatusWriter implements NodeStatusWriter {
  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private static final ResourceDefinitionContext DISTRIBUTION_POINTS =
      ResourceDefinitionContext.fromResourceType(DistributionPoint.class);

  private final KubernetesClient client;

  public KubernetesNodeStatusWriter(KubernetesClient client) {
    this.client = client;
  }

  @Override
  public Optional<NodeStatus> read(String namespace, String distributionPoint, String node) {
    GenericKubernetesResource dp = resource(namespace, distributionPoint).get();
    if (dp == null) {
      return Optional.empty();
    }
    Object nodes = dp.get("status", "nodes");
    if (!(nodes instanceof List<?> entries)) {
      return Optional.empty();
    }
    return entries.stream()
        .filter(entry -> entry instanceof Map<?, ?> map && Objects.equals(map.get("name"), node))
        .findFirst()
        .map(entry -> JSON.convertValue(entry, NodeStatus.class));
  }

  @Override
  public void apply(NodeReport report) {
    PatchContext apply =
        new PatchContext.Builder()
            .withPatchType(PatchType.SERVER_SIDE_APPLY)
            .withFieldManager(NodeStatusApply.fieldManager(report.node().getName()))
            .withForce(true)
            .build();
    resource(report.namespace(), report.distributionPoint())
        .subresource("status")
        .patch(apply, NodeStatusApply.body(report));
  }

  private Resource<GenericKubernetesResource> resource(String namespace, String name) {
    NonNamespaceOperation<GenericKubernetesResource, ?, Resource<GenericKubernetesResource>> dps =
        client.genericKubernetesResources(DISTRIBUTION_POINTS).inNamespace(namespace);
    return dps.withName(name);
  }
}
