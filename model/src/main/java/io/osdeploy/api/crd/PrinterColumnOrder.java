package io.osdeploy.api.crd;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Puts the printer columns of the generated CRDs in the order {@code kubectl get} should show them:
 * Ready and State first, then the deployment counts, the kind's other columns as declared, Age
 * last. The CRD generator sorts columns by JSON path, which puts Age first. Run by the build on the
 * generated files ({@code PrinterColumnOrder DIR}); rewrites only the column list, line for line.
 */
public final class PrinterColumnOrder {
  /** The columns with a fixed place; any other keeps its place between them and Age. */
  static final List<String> FIRST = List.of("Ready", "State", "Targeted", "Succeeded", "Failed");

  private static final String LIST = "- additionalPrinterColumns:";

  private PrinterColumnOrder() {}

  public static void main(String[] args) throws IOException {
    try (Stream<Path> files = Files.list(Path.of(args[0]))) {
      for (Path file : files.filter(f -> f.toString().endsWith("-v1.yml")).sorted().toList()) {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        String ordered = reorder(text);
        if (!ordered.equals(text)) {
          Files.writeString(file, ordered, StandardCharsets.UTF_8);
        }
      }
    }
  }

  /** The CRD text with each version's printer columns in order. */
  static String reorder(String crd) {
    List<String> lines = new ArrayList<>(crd.lines().toList());
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (!line.strip().equals(LIST)) {
        continue;
      }
      // Each column: a "- " line and its continuation lines, indented two more than the list's.
      String itemIndent = " ".repeat(line.indexOf('-') + 2) + "- ";
      String continuation = " ".repeat(itemIndent.length());
      List<List<String>> columns = new ArrayList<>();
      int j = i + 1;
      while (j < lines.size() && lines.get(j).startsWith(itemIndent)) {
        List<String> column = new ArrayList<>();
        column.add(lines.get(j++));
        while (j < lines.size() && lines.get(j).startsWith(continuation)) {
          column.add(lines.get(j++));
        }
        columns.add(column);
      }
      List<List<String>> sorted = new ArrayList<>(columns);
      sorted.sort(Comparator.comparingInt(PrinterColumnOrder::rank));
      List<String> replacement = new ArrayList<>();
      sorted.forEach(replacement::addAll);
      for (int k = 0; k < replacement.size(); k++) {
        lines.set(i + 1 + k, replacement.get(k));
      }
      i = j - 1;
    }
    return String.join("\n", lines) + (crd.endsWith("\n") ? "\n" : "");
  }

  private static int rank(List<String> column) {
    String name = null;
    for (String line : column) {
      String field = line.strip().replaceFirst("^- ", "");
      if (field.startsWith("name: ")) {
        name = field.substring(6).replace("\"", "").strip();
      }
    }
    int fixed = FIRST.indexOf(name);
    return fixed >= 0 ? fixed : "Age".equals(name) ? Integer.MAX_VALUE : FIRST.size();
  }
}
