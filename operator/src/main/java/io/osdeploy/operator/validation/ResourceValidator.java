package io.osdeploy.operator.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec;
import io.osdeploy.operator.local.Crds;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks one resource the way the API server would, offline: the CRD's structural schema with
 * strict field validation (unknown fields are errors), its CEL rules, and the checks the operator
 * makes that no schema can.
 */
public final class ResourceValidator {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DNS_SUBDOMAIN =
      "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

  private record KindSchema(String kind, Schema schema, JsonNode openApi) {}

  private final Map<String, KindSchema> byApiVersionAndKind = new HashMap<>();
  private final Map<String, List<String>> versionsByGroupKind = new HashMap<>();
  private final CelRules cel = new CelRules();

  public ResourceValidator(List<CustomResourceDefinition> crds) {
    SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4);
    for (CustomResourceDefinition crd : crds) {
      String group = crd.getSpec().getGroup();
      String kind = crd.getSpec().getNames().getKind();
      for (CustomResourceDefinitionVersion v : crd.getSpec().getVersions()) {
        JsonNode openApi = JSON.valueToTree(v.getSchema().getOpenAPIV3Schema());
        ObjectNode jsonSchema = (ObjectNode) toJsonSchema(openApi);
        addObjectMeta(jsonSchema);
        Schema schema = registry.getSchema(jsonSchema);
        byApiVersionAndKind.put(
            group + "/" + v.getName() + "/" + kind, new KindSchema(kind, schema, openApi));
        versionsByGroupKind
            .computeIfAbsent(group + "/" + kind, k -> new ArrayList<>())
            .add(group + "/" + v.getName());
      }
    }
  }

  /** Validates against the CRDs the build generated from the model. */
  public static ResourceValidator forOsdeploy() {
    return new ResourceValidator(Crds.load());
  }

  /** True when the document is of a kind this validator knows the group of. */
  public boolean covers(JsonNode document) {
    String apiVersion = document.path("apiVersion").asText("");
    return versionsByGroupKind.keySet().stream()
        .anyMatch(gk -> apiVersion.startsWith(gk.substring(0, gk.indexOf('/')) + "/"));
  }

  public List<Problem> validate(JsonNode document) {
    String apiVersion = document.path("apiVersion").asText("");
    String kind = document.path("kind").asText("");
    KindSchema ks = byApiVersionAndKind.get(apiVersion + "/" + kind);
    if (ks == null) {
      String group =
          apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
      List<String> versions = versionsByGroupKind.get(group + "/" + kind);
      if (versions != null) {
        return List.of(
            new Problem(
                "/apiVersion", "version not served for " + kind + "; use one of " + versions));
      }
      return List.of(new Problem("/kind", "unknown kind \"" + kind + "\" in " + apiVersion));
    }
    JsonNode pruned = withoutNulls(document);
    List<Problem> problems = new ArrayList<>();
    for (Error error : ks.schema().validate(pruned)) {
      problems.add(toProblem(error));
    }
    if (problems.isEmpty()) {
      checkRules(ks.openApi(), pruned, "", problems);
    }
    if (problems.isEmpty() && "TaskSequenceDeployment".equals(kind)) {
      TaskSequenceDeploymentSpec spec =
          JSON.convertValue(pruned.path("spec"), TaskSequenceDeploymentSpec.class);
      problems.addAll(DeploymentChecks.problems(spec));
    }
    problems.sort(Comparator.comparing(Problem::pointer));
    return problems;
  }

  private void checkRules(JsonNode schema, JsonNode value, String pointer, List<Problem> out) {
    if (value == null || value.isMissingNode() || value.isNull()) {
      return;
    }
    for (JsonNode rule : schema.path("x-kubernetes-validations")) {
      Optional<String> violation = cel.violation(rule.path("rule").asText(), value);
      if (violation.isPresent()) {
        String fieldPath = rule.path("fieldPath").asText("");
        String at = pointer + fieldPath.replace('.', '/');
        String message =
            rule.hasNonNull("message")
                ? rule.get("message").asText()
                : "failed rule: " + rule.path("rule").asText();
        if (!violation.get().equals("false")) {
          message = message + " (" + violation.get() + ")";
        }
        out.add(new Problem(at, message));
      }
    }
    if (value.isObject()) {
      JsonNode properties = schema.path("properties");
      JsonNode additional = schema.path("additionalProperties");
      for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode child = properties.has(e.getKey()) ? properties.get(e.getKey()) : additional;
        if (child.isObject()) {
          checkRules(child, e.getValue(), pointer + "/" + YamlDocuments.escape(e.getKey()), out);
        }
      }
    } else if (value.isArray() && schema.path("items").isObject()) {
      for (int i = 0; i < value.size(); i++) {
        checkRules(schema.get("items"), value.get(i), pointer + "/" + i, out);
      }
    }
  }

  private static Problem toProblem(Error error) {
    String pointer = pointer(error.getInstanceLocation());
    String keyword = error.getKeyword() == null ? "" : error.getKeyword();
    switch (keyword) {
      case "required":
        return new Problem(pointer + "/" + error.getProperty(), "Required value");
      case "additionalProperties":
        return new Problem(
            pointer + "/" + YamlDocuments.escape(error.getProperty()), "unknown field");
      case "pattern":
        return new Problem(
            pointer,
            "must match "
                + error.getSchemaNode().asText()
                + " (got "
                + error.getInstanceNode()
                + ")");
      case "enum":
        return new Problem(
            pointer,
            "must be one of "
                + error.getSchemaNode().toString().replace("\"", "")
                + " (got "
                + error.getInstanceNode()
                + ")");
      case "type":
        JsonNode found = error.getInstanceNode();
        if ("string".equals(error.getSchemaNode().asText())
            && found != null
            && (found.isNumber() || found.isBoolean())) {
          // The classic YAML trap: a hex digest of only digits, or yes/no, is not a string.
          return new Problem(
              pointer,
              "must be a string, but YAML read "
                  + found
                  + " as a "
                  + (found.isNumber() ? "number" : "boolean")
                  + ": put the value in quotes");
        }
        return new Problem(pointer, stripPrefix(error.getMessage()));
      case "minimum":
        return new Problem(
            pointer,
            "must be at least "
                + number(error.getSchemaNode())
                + " (got "
                + error.getInstanceNode()
                + ")");
      case "maximum":
        return new Problem(
            pointer,
            "must be at most "
                + number(error.getSchemaNode())
                + " (got "
                + error.getInstanceNode()
                + ")");
      default:
        return new Problem(pointer, stripPrefix(error.getMessage()));
    }
  }

  /** The validator's messages start with the path ("$.spec.x: "); ours name the field apart. */
  private static String stripPrefix(String message) {
    int colon = message.indexOf(": ");
    return message.startsWith("$") && colon > 0 ? message.substring(colon + 2) : message;
  }

  private static String number(JsonNode n) {
    double d = n.asDouble();
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : n.asText();
  }

  private static String pointer(NodePath path) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < path.getNameCount(); i++) {
      Object element = path.getElement(i);
      out.append('/')
          .append(
              element instanceof Number
                  ? element.toString()
                  : YamlDocuments.escape(element.toString()));
    }
    return out.toString();
  }

  /**
   * A Kubernetes structural schema as JSON Schema draft 4: objects with listed properties admit no
   * others (unless they preserve unknown fields), int-or-string becomes anyOf, and the {@code x-}
   * extensions are dropped.
   */
  static JsonNode toJsonSchema(JsonNode openApi) {
    if (openApi.isArray()) {
      ArrayNode out = JsonNodeFactory.instance.arrayNode();
      openApi.forEach(item -> out.add(toJsonSchema(item)));
      return out;
    }
    if (!openApi.isObject()) {
      return openApi;
    }
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    boolean preserveUnknown = openApi.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
    for (Iterator<Map.Entry<String, JsonNode>> it = openApi.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey();
      if (key.startsWith("x-kubernetes-") || key.equals("nullable") || key.equals("description")) {
        continue;
      }
      if (key.equals("properties")) {
        ObjectNode props = out.putObject("properties");
        e.getValue()
            .fields()
            .forEachRemaining(p -> props.set(p.getKey(), toJsonSchema(p.getValue())));
      } else {
        out.set(key, toJsonSchema(e.getValue()));
      }
    }
    if (openApi.path("x-kubernetes-int-or-string").asBoolean(false)) {
      out.remove("type");
      ArrayNode anyOf = out.putArray("anyOf");
      anyOf.addObject().put("type", "integer");
      anyOf.addObject().put("type", "string");
    }
    if (openApi.has("properties") && !openApi.has("additionalProperties") && !preserveUnknown) {
      out.put("additionalProperties", false);
    }
    return out;
  }

  /** The fields every object has: apiVersion, kind and metadata (a name in DNS form). */
  private static void addObjectMeta(ObjectNode schema) {
    ObjectNode props = (ObjectNode) schema.path("properties");
    props.putObject("apiVersion").put("type", "string");
    props.putObject("kind").put("type", "string");
    ObjectNode metadata = props.putObject("metadata");
    metadata.put("type", "object");
    ObjectNode name = metadata.putObject("properties").putObject("name");
    name.put("type", "string").put("maxLength", 253).put("pattern", DNS_SUBDOMAIN);
    ((ObjectNode) metadata.get("properties")).putObject("namespace").put("type", "string");
    ObjectNode labels = ((ObjectNode) metadata.get("properties")).putObject("labels");
    labels.put("type", "object").putObject("additionalProperties").put("type", "string");
    ObjectNode annotations = ((ObjectNode) metadata.get("properties")).putObject("annotations");
    annotations.put("type", "object").putObject("additionalProperties").put("type", "string");
    metadata.putArray("required").add("name");
    ArrayNode required =
        schema.has("required") ? (ArrayNode) schema.get("required") : schema.putArray("required");
    required.add("apiVersion").add("kind").add("metadata");
  }

  /** The API server drops null fields before it validates; so do we. */
  private static JsonNode withoutNulls(JsonNode node) {
    if (node.isObject()) {
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      node.fields()
          .forEachRemaining(
              e -> {
                if (!e.getValue().isNull()) {
                  out.set(e.getKey(), withoutNulls(e.getValue()));
                }
              });
      return out;
    }
    if (node.isArray()) {
      ArrayNode out = JsonNodeFactory.instance.arrayNode();
      node.forEach(item -> out.add(withoutNulls(item)));
      return out;
    }
    return node;
  }
}
