package io.osdeploy.operator.validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Reader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads a multi-document YAML file into JSON trees, remembering the line of every field and list
 * item so that an error can point at it.
 */
final class YamlDocuments {
  /** One document: its tree, and the 1-based line of each JSON pointer in it. */
  record Document(JsonNode root, Map<String, Integer> lines, int startLine) {
    int lineOf(String pointer) {
      String p = pointer;
      while (true) {
        Integer line = lines.get(p);
        if (line != null) {
          return line;
        }
        int slash = p.lastIndexOf('/');
        if (slash < 0) {
          return startLine;
        }
        p = p.substring(0, slash);
      }
    }
  }

  /** The file is not well-formed YAML. */
  static final class MalformedYamlException extends Exception {
    final int line;

    MalformedYamlException(int line, String message) {
      super(message);
      this.line = line;
    }
  }

  private YamlDocuments() {}

  static List<Document> read(Path file) throws IOException, MalformedYamlException {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return read(reader);
    }
  }

  /** The documents of YAML text read from {@code reader} (standard input, a tool's output). */
  static List<Document> read(Reader reader) throws IOException, MalformedYamlException {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(50);
    Yaml yaml = new Yaml(options);
    List<Document> documents = new ArrayList<>();
    try {
      for (Node node : yaml.composeAll(reader)) {
        if (node == null) {
          continue;
        }
        Map<String, Integer> lines = new HashMap<>();
        JsonNode root = convert(node, "", lines);
        if (root.isNull()) {
          continue;
        }
        documents.add(new Document(root, lines, node.getStartMark().getLine() + 1));
      }
    } catch (MarkedYAMLException e) {
      int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 1;
      String problem = e.getProblem() != null ? e.getProblem() : e.getMessage();
      throw new MalformedYamlException(line, "malformed YAML: " + problem.replace('\n', ' '));
    } catch (YAMLException e) {
      throw new MalformedYamlException(1, "malformed YAML: " + e.getMessage().replace('\n', ' '));
    }
    return documents;
  }

  private static JsonNode convert(Node node, String pointer, Map<String, Integer> lines) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    if (node instanceof MappingNode mapping) {
      ObjectNode object = f.objectNode();
      for (NodeTuple tuple : mapping.getValue()) {
        String key =
            tuple.getKeyNode() instanceof ScalarNode k
                ? k.getValue()
                : tuple.getKeyNode().toString();
        String child = pointer + "/" + escape(key);
        lines.put(child, tuple.getKeyNode().getStartMark().getLine() + 1);
        object.set(key, convert(tuple.getValueNode(), child, lines));
      }
      return object;
    }
    if (node instanceof SequenceNode sequence) {
      ArrayNode array = f.arrayNode();
      List<Node> items = sequence.getValue();
      for (int i = 0; i < items.size(); i++) {
        String child = pointer + "/" + i;
        lines.put(child, items.get(i).getStartMark().getLine() + 1);
        array.add(convert(items.get(i), child, lines));
      }
      return array;
    }
    ScalarNode scalar = (ScalarNode) node;
    String value = scalar.getValue();
    Tag tag = scalar.getTag();
    if (Tag.NULL.equals(tag)) {
      return f.nullNode();
    }
    if (Tag.BOOL.equals(tag)) {
      return f.booleanNode(value.equalsIgnoreCase("true"));
    }
    if (Tag.INT.equals(tag)) {
      try {
        BigInteger n = new BigInteger(value.replace("_", ""));
        return n.bitLength() < 63 ? f.numberNode(n.longValue()) : f.numberNode(n);
      } catch (NumberFormatException e) {
        return f.textNode(value);
      }
    }
    if (Tag.FLOAT.equals(tag)) {
      try {
        return f.numberNode(Double.parseDouble(value));
      } catch (NumberFormatException e) {
        return f.textNode(value);
      }
    }
    return f.textNode(value);
  }

  static String escape(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }
}
