package io.osdeploy.api.v1alpha1;

import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;

/**
 * Makes a status list keyed by one of its entries' fields ({@code x-kubernetes-list-type: map}), so
 * each daemon's server-side apply of its own entry merges with the other nodes' entries. The input
 * is {@code <property>:<key>}, e.g. {@code nodes:name}.
 */
public class ListIsMap implements SchemaCustomizer.Customizer {
  @Override
  public JSONSchemaProps apply(
      JSONSchemaProps schema, String input, KubernetesSerialization serialization) {
    String[] parts = input.split(":", 2);
    if (parts.length != 2) {
      throw new IllegalArgumentException("input must be <property>:<key>, got " + input);
    }
    JSONSchemaProps list =
        schema.getProperties() == null ? null : schema.getProperties().get(parts[0]);
    if (list == null) {
      throw new IllegalStateException("status schema has no " + parts[0] + " property: " + schema);
    }
    list.setXKubernetesListType("map");
    list.setXKubernetesListMapKeys(List.of(parts[1]));
    return schema;
  }
}
