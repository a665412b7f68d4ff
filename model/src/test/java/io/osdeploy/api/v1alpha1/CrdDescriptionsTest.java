package io.osdeploy.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code kubectl explain} has something to say about every kind and every field: each schema in
 * {@code crds/}, from a kind's top level down through properties, list items and map values, has a
 * description. A field without one gets {@code @JsonPropertyDescription}; what that cannot reach (a
 * kind's top level, a list's items, a map's values, a Kubernetes type's fields) gets {@link
 * Describe}.
 */
class CrdDescriptionsTest {
  private static final Path CRDS = Path.of("..", "crds");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static List<Path> crds() throws IOException {
    try (Stream<Path> files = Files.list(CRDS)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".yml")).sorted().toList();
    }
  }

  @Test
  void everySchemaOfEveryKindHasADescription() throws IOException {
    List<Path> crds = crds();
    assertEquals(4, crds.size(), "one CRD per kind in " + CRDS);
    List<String> missing = new ArrayList<>();
    for (Path file : crds) {
      JsonNode crd = YAML.readTree(file.toFile());
      String kind = crd.path("spec").path("names").path("kind").asText(file.toString());
      JsonNode versions = crd.path("spec").path("versions");
      assertTrue(versions.size() > 0, file + " has no versions");
      for (JsonNode version : versions) {
        JsonNode schema = version.path("schema").path("openAPIV3Schema");
        assertTrue(schema.isObject(), file + ": version without openAPIV3Schema");
        String prefix = versions.size() == 1 ? kind : kind + " " + version.path("name").asText();
        missing.addAll(undescribed(prefix, schema));
      }
    }
    assertTrue(
        missing.isEmpty(),
        missing.size()
            + " schemas have no description (give the field a @JsonPropertyDescription, or"
            + " Describe what that cannot reach), then run `mvn -Pupdate-crds -pl model"
            + " process-classes`:\n"
            + String.join("\n", missing));
  }

  /** The check itself finds what it should, at every depth and in every kind of child. */
  @Test
  void findsEverySchemaWithoutADescription() throws IOException {
    JsonNode schema =
        YAML.readTree(
            """
            properties:
              spec:
                description: "The spec."
                properties:
                  named:
                    type: string
                  blank:
                    description: "  "
                    type: string
                  list:
                    description: "A list."
                    items:
                      properties:
                        field:
                          type: string
                      type: object
                    type: array
                  map:
                    description: "A map."
                    additionalProperties:
                      type: string
                    type: object
                  open:
                    description: "Any keys."
                    additionalProperties: true
                    type: object
                type: object
            type: object
            """);
    assertEquals(
        List.of(
            "Kind (top level)",
            "Kind spec.blank",
            "Kind spec.list[]",
            "Kind spec.list[].field",
            "Kind spec.map{}",
            "Kind spec.named"),
        undescribed("Kind", schema).stream().sorted().toList());
  }

  /**
   * Each schema under {@code schema} without a non-blank description, as {@code <kind> <path>}:
   * properties joined by dots, {@code []} for a list's items, {@code {}} for a map's values.
   */
  static List<String> undescribed(String kind, JsonNode schema) {
    List<String> missing = new ArrayList<>();
    walk(kind, "", schema, missing);
    return missing;
  }

  private static void walk(String kind, String path, JsonNode schema, List<String> missing) {
    if (!schema.isObject()) {
      return;
    }
    if (schema.path("description").asText("").isBlank()) {
      missing.add(kind + " " + (path.isEmpty() ? "(top level)" : path));
    }
    for (Map.Entry<String, JsonNode> property : schema.path("properties").properties()) {
      String child = path.isEmpty() ? property.getKey() : path + "." + property.getKey();
      walk(kind, child, property.getValue(), missing);
    }
    walk(kind, path + "[]", schema.path("items"), missing);
    walk(kind, path + "{}", schema.path("additionalProperties"), missing);
  }
}
