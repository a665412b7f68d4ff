package io.osdeploy.api.v1alpha1;

import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Describes what {@code @JsonPropertyDescription} cannot reach, so that {@code kubectl explain} has
 * a description for every field: a class's own schema where it is a kind's top level or a list's
 * items (the CRD generator ignores {@code @JsonClassDescription}; a field that holds the class
 * describes it with {@code @JsonPropertyDescription}), the items of a list of strings or numbers,
 * the values of a map, and the fields of a Kubernetes type such as a Toleration.
 *
 * <p>The input is {@code <path>: <description>}. The path starts at {@code self}, the annotated
 * class's schema, and goes on with {@code .<property>}, {@code []} for a list's items and {@code
 * {}} for a map's values, e.g. {@code self.bootServers[]: A boot server URL.} A path that leads
 * nowhere, or to a schema that has a description already, fails the CRD generation.
 */
public class Describe implements SchemaCustomizer.Customizer {
  private static final Pattern STEP = Pattern.compile("\\.([A-Za-z0-9_]+)|\\[\\]|\\{\\}");

  @Override
  public JSONSchemaProps apply(
      JSONSchemaProps schema, String input, KubernetesSerialization serialization) {
    int colon = input.indexOf(": ");
    if (!input.startsWith("self") || colon < 0 || input.substring(colon + 2).isBlank()) {
      throw new IllegalArgumentException("input must be self<path>: <description>, got " + input);
    }
    String path = input.substring(0, colon);
    JSONSchemaProps target = schema;
    Matcher m = STEP.matcher(path).region("self".length(), path.length());
    while (m.regionStart() < path.length()) {
      if (!m.lookingAt()) {
        throw new IllegalArgumentException("not a path: " + path);
      }
      JSONSchemaProps next = step(target, m.group(), m.group(1));
      if (next == null) {
        throw new IllegalStateException(
            path
                + ": nothing at "
                + m.group()
                + " after "
                + path.substring(0, m.start())
                + " (its properties: "
                + (target.getProperties() == null ? "none" : target.getProperties().keySet())
                + ")");
      }
      target = next;
      m.region(m.end(), path.length());
    }
    if (target.getDescription() != null && !target.getDescription().isBlank()) {
      throw new IllegalStateException(
          path + " has a description already: " + target.getDescription());
    }
    target.setDescription(input.substring(colon + 2).strip());
    return schema;
  }

  private static JSONSchemaProps step(JSONSchemaProps schema, String step, String property) {
    if (property != null) {
      Map<String, JSONSchemaProps> properties = schema.getProperties();
      return properties == null ? null : properties.get(property);
    }
    if (step.equals("[]")) {
      return schema.getItems() == null ? null : schema.getItems().getSchema();
    }
    return schema.getAdditionalProperties() == null
        ? null
        : schema.getAdditionalProperties().getSchema();
  }
}
