package io.osdeploy.operator.validation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.SimpleType;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Evaluates a CRD's {@code x-kubernetes-validations} rules offline, with the CEL standard library
 * and the strings extension that Kubernetes also offers. Rules are compiled once and cached.
 */
final class CelRules {
  private final Cel cel =
      CelFactory.standardCelBuilder()
          .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
          .addVar("self", SimpleType.DYN)
          .addCompilerLibraries(CelExtensions.strings())
          .addRuntimeLibraries(CelExtensions.strings())
          .build();
  private final Map<String, Compiled> programs = new ConcurrentHashMap<>();

  private record Compiled(CelRuntime.Program program, String error) {}

  /**
   * Evaluates {@code rule} with {@code self} bound to {@code value}. Empty when the rule holds;
   * otherwise why it does not (false, or an evaluation error).
   */
  Optional<String> violation(String rule, JsonNode value) {
    Compiled compiled = programs.computeIfAbsent(rule, this::compile);
    if (compiled.program() == null) {
      return Optional.of("rule cannot be compiled offline: " + compiled.error());
    }
    try {
      Object result = compiled.program().eval(Map.of("self", toCel(value)));
      return Boolean.TRUE.equals(result) ? Optional.empty() : Optional.of("false");
    } catch (CelEvaluationException e) {
      return Optional.of("rule could not be evaluated: " + e.getMessage());
    }
  }

  private Compiled compile(String rule) {
    try {
      CelAbstractSyntaxTree ast = cel.compile(rule).getAst();
      return new Compiled(cel.createProgram(ast), null);
    } catch (CelValidationException | CelEvaluationException e) {
      return new Compiled(null, e.getMessage());
    }
  }

  /** JSON values as CEL sees them: integers are int (Long), objects are maps. */
  static Object toCel(JsonNode node) {
    if (node.isObject()) {
      Map<String, Object> map = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isNull()) {
          map.put(e.getKey(), toCel(e.getValue()));
        }
      }
      return map;
    }
    if (node.isArray()) {
      List<Object> list = new ArrayList<>();
      node.forEach(item -> list.add(toCel(item)));
      return list;
    }
    if (node.isIntegralNumber()) {
      return node.asLong();
    }
    if (node.isNumber()) {
      return node.asDouble();
    }
    if (node.isBoolean()) {
      return node.asBoolean();
    }
    return node.asText();
  }
}
