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
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code validate PATH...}: checks osdeploy resources in YAML files offline, as the API server
 * would, and prints one line per error: {@code file:line: Kind/name: field: message}. {@code -}
 * reads standard input.
 *
 * <p>A folder with a {@code kustomization.yaml} is checked as Kustomize builds it. One that only
 * lists {@code resources} (and sets a {@code namespace}) is read here: the files and folders it
 * lists. One that uses anything else (patches, generators, images, components...) is rendered by
 * {@code kubectl kustomize} when kubectl is there, and refused with a message otherwise: never
 * half-read. Any other folder: every {@code .yaml}/{@code .yml} file in it and below. Documents of
 * other API groups are skipped.
 */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    usageHelpWidth = 100,
    description = {
      "Check YAML files and folders offline against the CRD schemas and rules.",
      "Prints file:line: Kind/name: field: message per error, then a count. A kustomization that"
          + " does more than list resources is rendered with kubectl kustomize ($OSDEPLOY_KUBECTL,"
          + " else kubectl on the PATH)."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:every resource is valid", "1:an error was found", "2:bad usage"})
public final class ValidateCommand implements Callable<Integer> {
  /** What a kustomization may hold for validate to read it itself. */
  private static final Set<String> PLAIN_KUSTOMIZATION =
      Set.of("apiVersion", "kind", "resources", "namespace");

  @Parameters(
      paramLabel = "PATH",
      arity = "1..*",
      description =
          "a YAML file, a folder (with or without a kustomization.yaml), or - for standard input")
  private List<String> paths;

  private ResourceValidator validator;
  private final PrintStream out;
  private Path kubectl;
  private final java.io.InputStream stdin;
  private boolean fromThisJar;

  /**
   * The command line's: the CRDs this jar carries, standard output and input, {@link #kubectl()}.
   * They are loaded when the command runs, not for {@code --help}.
   */
  public ValidateCommand() {
    this(null, System.out, null, System.in);
    fromThisJar = true;
  }

  public ValidateCommand(ResourceValidator validator, PrintStream out) {
    this(validator, out, null, System.in);
  }

  /**
   * @param kubectl the kubectl that renders kustomizations beyond a resource list; null: none, such
   *     kustomizations are refused
   */
  public ValidateCommand(
      ResourceValidator validator, PrintStream out, Path kubectl, java.io.InputStream stdin) {
    this.validator = validator;
    this.out = out;
    this.kubectl = kubectl;
    this.stdin = stdin;
  }

  @Override
  public Integer call() {
    if (fromThisJar) {
      validator = ResourceValidator.forOsdeploy();
      kubectl = kubectl();
    }
    return run(paths.toArray(String[]::new));
  }

  /** {@code $OSDEPLOY_KUBECTL}, else {@code kubectl} on the PATH, else null. */
  static Path kubectl() {
    String set = System.getenv("OSDEPLOY_KUBECTL");
    if (set != null && !set.isBlank()) {
      return Path.of(set);
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, "kubectl");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  /** Where documents come from: a file, or text with a name (standard input, kubectl's output). */
  private record Source(String name, Path file, String text) {
    List<YamlDocuments.Document> read() throws IOException, YamlDocuments.MalformedYamlException {
      return file != null
          ? YamlDocuments.read(file)
          : YamlDocuments.read(new java.io.StringReader(text));
    }
  }

  /** Returns the exit status: 0 when every resource is valid, 1 otherwise. */
  public int run(String... paths) {
    Set<Source> files = new LinkedHashSet<>();
    int errors = 0;
    for (String p : paths) {
      try {
        if (p.equals("-")) {
          files.add(
              new Source(
                  "-",
                  null,
                  new String(stdin.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)));
        } else {
          collect(Path.of(p), files);
        }
      } catch (Refused e) {
        out.println(e.getMessage());
        errors++;
      } catch (IOException e) {
        out.println(p + ":1: " + e.getMessage());
        errors++;
      }
    }
    int resources = 0;
    List<CrossChecks.Located> checked = new ArrayList<>();
    for (Source source : files) {
      String file = source.name();
      List<YamlDocuments.Document> documents;
      try {
        documents = source.read();
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
        checked.add(new CrossChecks.Located(file, doc));
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
    for (String across : CrossChecks.check(checked)) {
      out.println(across);
      errors++;
    }
    if (errors > 0) {
      out.println(
          errors
              + (errors == 1 ? " error" : " errors")
              + " in "
              + files.size()
              + (files.size() == 1 ? " file" : " files"));
      return 1;
    }
    out.println(
        "ok: "
            + resources
            + (resources == 1 ? " resource" : " resources")
            + " in "
            + files.size()
            + (files.size() == 1 ? " file" : " files"));
    return 0;
  }

  private static String name(JsonNode document) {
    String name = document.path("metadata").path("name").asText("");
    return name.isEmpty() ? "(no name)" : name;
  }

  /** A kustomization validate cannot read and nothing here can render. */
  private static final class Refused extends IOException {
    Refused(String message) {
      super(message);
    }
  }

  private void collect(Path path, Set<Source> files) throws IOException {
    if (Files.isRegularFile(path)) {
      files.add(file(path));
      return;
    }
    if (!Files.isDirectory(path)) {
      throw new IOException("no such file or folder");
    }
    Path kustomization = kustomizationIn(path);
    if (kustomization != null) {
      JsonNode k =
          new com.fasterxml.jackson.databind.ObjectMapper(
                  new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
              .readTree(kustomization.toFile());
      List<String> beyond = new ArrayList<>();
      k.fieldNames()
          .forEachRemaining(
              f -> {
                if (!PLAIN_KUSTOMIZATION.contains(f)) {
                  beyond.add(f);
                }
              });
      if (!beyond.isEmpty()) {
        files.add(rendered(path, kustomization, beyond));
        return;
      }
      files.add(file(kustomization));
      for (JsonNode r : k.path("resources")) {
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
        files.add(file(child));
      }
    }
  }

  private static Source file(Path path) {
    Path normal = path.normalize();
    return new Source(normal.toString(), normal, null);
  }

  /** The folder as {@code kubectl kustomize} builds it, or refused without kubectl. */
  private Source rendered(Path dir, Path kustomization, List<String> beyond) throws IOException {
    String what = String.join(", ", beyond);
    if (kubectl == null) {
      throw new Refused(
          kustomization.normalize()
              + ":1: kustomization: uses "
              + what
              + ", which validate does not render itself and no kubectl is here to: install"
              + " kubectl (or set OSDEPLOY_KUBECTL), or run 'kustomize build "
              + dir
              + " | validate -'");
    }
    Process p =
        new ProcessBuilder(kubectl.toString(), "kustomize", dir.toString())
            .redirectErrorStream(false)
            .start();
    p.getOutputStream().close();
    java.util.concurrent.CompletableFuture<byte[]> err =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                return p.getErrorStream().readAllBytes();
              } catch (IOException e) {
                return new byte[0];
              }
            });
    byte[] yaml = p.getInputStream().readAllBytes();
    try {
      if (p.waitFor() != 0) {
        throw new Refused(
            kustomization.normalize()
                + ":1: kustomization: kubectl kustomize failed: "
                + new String(err.join(), java.nio.charset.StandardCharsets.UTF_8).strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while kubectl kustomize ran", e);
    }
    return new Source(
        dir.normalize() + " (kubectl kustomize)",
        null,
        new String(yaml, java.nio.charset.StandardCharsets.UTF_8));
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
