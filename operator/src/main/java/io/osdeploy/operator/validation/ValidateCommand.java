package io.osdeploy.operator.validation;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code validate PATH...}: checks osdeploy resources in YAML files offline, as the API server
 * would, and prints one line per error: {@code file:line: Kind/name: field: message}.
 *
 * <p>A folder with a {@code kustomization.yaml} is checked as Kustomize builds it: the files and
 * folders its {@code resources} list. Any other folder: every {@code .yaml}/{@code .yml} file in it
 * and below. Documents of other API groups are skipped.
 */
public final class ValidateCommand {
  private final ResourceValidator validator;
  private final PrintStream out;

  public ValidateCommand(ResourceValidator validator, PrintStream out) {
    this.validator = validator;
    this.out = out;
  }

  public static int main(String[] args) {
    if (args.length == 0) {
      System.err.println("usage: validate PATH...");
      return 2;
    }
    return new ValidateCommand(ResourceValidator.forOsdeploy(), System.out).run(args);
  }

  /** Returns the exit status: 0 when every resource is valid, 1 otherwise. */
  public int run(String... paths) {
    Set<Path> files = new LinkedHashSet<>();
    int errors = 0;
    for (String p : paths) {
      try {
        collect(Path.of(p), files);
      } catch (IOException e) {
        out.println(p + ":1: " + e.getMessage());
        errors++;
      }
    }
    int resources = 0;
    for (Path file : files) {
      List<YamlDocuments.Document> documents;
      try {
        documents = YamlDocuments.read(file);
      } catch (YamlDocuments.MalformedYamlException e) {
        out.println(file + ":" + e.line + ": " + e.getMessage());
        errors++;
        continue;
      } catch (IOException e) {
        out.println(file + ":1: cannot read: " + e.getMessage());
        errors++;
        continue;
      }
      for (YamlDocuments.Document doc : documents) {
        if (!doc.root().isObject()) {
          out.println(file + ":" + doc.startLine() + ": a document must be a mapping");
          errors++;
          continue;
        }
        if (!validator.covers(doc.root())) {
          continue;
        }
        resources++;
        String id = doc.root().path("kind").asText("?") + "/" + name(doc.root());
        List<Problem> problems = new ArrayList<>(validator.validate(doc.root()));
        problems.sort(java.util.Comparator.comparingInt(p -> doc.lineOf(p.pointer())));
        for (Problem problem : problems) {
          out.println(
              file
                  + ":"
                  + doc.lineOf(problem.pointer())
                  + ": "
                  + id
                  + ": "
                  + problem.field()
                  + ": "
                  + problem.message());
          errors++;
        }
      }
    }
    if (errors > 0) {
      out.println(errors + (errors == 1 ? " error" : " errors") + " in " + files.size() + " files");
      return 1;
    }
    out.println("ok: " + resources + " resources in " + files.size() + " files");
    return 0;
  }

  private static String name(JsonNode document) {
    String name = document.path("metadata").path("name").asText("");
    return name.isEmpty() ? "(no name)" : name;
  }

  private static void collect(Path path, Set<Path> files) throws IOException {
    if (Files.isRegularFile(path)) {
      files.add(path.normalize());
      return;
    }
    if (!Files.isDirectory(path)) {
      throw new IOException("no such file or folder");
    }
    Path kustomization = kustomizationIn(path);
    if (kustomization != null) {
      files.add(kustomization.normalize());
      for (JsonNode r :
          new com.fasterxml.jackson.databind.ObjectMapper(
                  new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
              .readTree(kustomization.toFile())
              .path("resources")) {
        collect(path.resolve(r.asText()), files);
      }
      return;
    }
    List<Path> found = new ArrayList<>();
    try (Stream<Path> children = Files.list(path)) {
      children.sorted().forEach(found::add);
    }
    for (Path child : found) {
      String name = child.getFileName().toString();
      if (Files.isDirectory(child)) {
        collect(child, files);
      } else if (name.endsWith(".yaml") || name.endsWith(".yml")) {
        files.add(child.normalize());
      }
    }
  }

  private static Path kustomizationIn(Path dir) {
    for (String name : List.of("kustomization.yaml", "kustomization.yml", "Kustomization")) {
      if (Files.isRegularFile(dir.resolve(name))) {
        return dir.resolve(name);
      }
    }
    return null;
  }
}
