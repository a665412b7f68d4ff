package io.osdeploy.operator.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies a folder that holds a {@code kustomization.yaml} with a plain {@code resources} list and
 * an optional {@code namespace}: the shape of {@code samples/}. Anything fancier belongs to kubectl
 * or a GitOps tool.
 */
public final class Kustomization {
  private final Path dir;
  private final String namespace;
  private final List<Path> files;

  private Kustomization(Path dir, String namespace, List<Path> files) {
    this.dir = dir;
    this.namespace = namespace;
    this.files = files;
  }

  public static Kustomization read(Path dir) throws IOException {
    JsonNode k =
        new ObjectMapper(new YAMLFactory()).readTree(dir.resolve("kustomization.yaml").toFile());
    String namespace = k.hasNonNull("namespace") ? k.get("namespace").asText() : null;
    List<Path> files = new ArrayList<>();
    for (JsonNode r : k.path("resources")) {
      Path file = dir.resolve(r.asText()).normalize();
      if (!Files.isRegularFile(file)) {
        throw new IOException(dir.resolve("kustomization.yaml") + ": resources: not a file: " + r);
      }
      files.add(file);
    }
    return new Kustomization(dir, namespace, files);
  }

  public String namespace() {
    return namespace;
  }

  /** One object of the kustomization and the file it comes from, relative to the folder. */
  public record Rendered(Path file, HasMetadata object) {
    /** {@code file: Kind namespace/name}, how errors name the object. */
    public String describe() {
      String ns = object.getMetadata().getNamespace();
      return file
          + ": "
          + object.getKind()
          + " "
          + (ns == null ? "" : ns + "/")
          + object.getMetadata().getName();
    }
  }

  /**
   * Every object, in the order listed, with the kustomization's namespace set on all but
   * Namespaces. A file that does not parse is an error naming it.
   */
  public List<Rendered> render(KubernetesClient client) throws IOException {
    List<Rendered> rendered = new ArrayList<>();
    for (Path file : files) {
      Path relative = dir.relativize(file);
      List<HasMetadata> items;
      try (InputStream in = Files.newInputStream(file)) {
        items = client.load(in).items();
      } catch (RuntimeException e) {
        throw new IOException(relative + ": not a Kubernetes object: " + e.getMessage(), e);
      }
      for (HasMetadata item : items) {
        if (item == null || item.getKind() == null || item.getMetadata() == null) {
          throw new IOException(relative + ": an object without kind or metadata");
        }
        if (namespace != null && !"Namespace".equals(item.getKind())) {
          item.getMetadata().setNamespace(namespace);
        }
        rendered.add(new Rendered(relative, item));
      }
    }
    return rendered;
  }

  /** Server-side applies every resource, in the order listed, with field manager "osdeploy-run". */
  public List<HasMetadata> apply(KubernetesClient client) throws IOException {
    List<HasMetadata> applied = new ArrayList<>();
    for (Rendered r : render(client)) {
      applied.add(
          client
              .resource(r.object())
              .fieldManager("osdeploy-run")
              .forceConflicts()
              .serverSideApply());
    }
    return applied;
  }

  @Override
  public String toString() {
    return dir.toString();
  }
}
