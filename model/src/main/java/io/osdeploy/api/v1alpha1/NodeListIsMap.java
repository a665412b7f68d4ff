package io.osdeploy.api.v1alpha1;

import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;

/**
 * Makes {@code status.nodes} a list keyed by node name ({@code x-kubernetes-list-type: map}), so
 * each daemon's server-side apply of its own entry merges with the other nodes' entries.
 */
public class NodeListIsMap implements SchemaCustomizer.Customizer {
  @Override
  public JSONSchemaProps apply(
      JSONSchemaProps schema, String input, KubernetesSerialization serialization) {
    JSONSchemaProps nodes =
        schema.getProperties() == null ? null : schema.getProperties().get("nodes");
    if (nodes == null) {
      throw new IllegalStateException("status schema has no nodes property: " + schema);
    }
    nodes.setXKubernetesListType("map");
    nodes.setXKubernetesListMapKeys(List.of("name"));
    return schema;
  }
}
