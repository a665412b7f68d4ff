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

  /** Server-side applies every resource, in the order listed, with field manager "osdeploy-run". */
  public List<HasMetadata> apply(KubernetesClient client) throws IOException {
    List<HasMetadata> applied = new ArrayList<>();
    for (Path file : files) {
      try (InputStream in = Files.newInputStream(file)) {
        for (HasMetadata item : client.load(in).items()) {
          if (namespace != null && !"Namespace".equals(item.getKind())) {
            item.getMetadata().setNamespace(namespace);
          }
          applied.add(
              client
                  .resource(item)
                  .fieldManager("osdeploy-run")
                  .forceConflicts()
                  .serverSideApply());
        }
      }
    }
    return applied;
  }

  @Override
  public String toString() {
    return dir.toString();
  }
}
