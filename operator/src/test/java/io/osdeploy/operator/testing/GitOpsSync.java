package io.osdeploy.operator.testing;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.osdeploy.operator.local.Kustomization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What a GitOps controller does with one commit of a git repository, in the steps of Flux's
 * kustomize-controller: check the revision out, render its kustomization, server-side apply every
 * object with one field manager, and prune what the previous revision applied and this one no
 * longer has.
 *
 * <ul>
 *   <li>Namespaces first, then a server-side dry run of every other object: a revision with one
 *       object the API server refuses changes nothing, and the error names the file, the object and
 *       the API server's message (which names the field).
 *   <li>Every object carries the label {@value #LABEL} with the sync's name; the inventory of what
 *       a revision applied is kept in a ConfigMap, as Flux keeps it in its Kustomization's status.
 *       Prune deletes an object of the previous inventory only if it still carries the label, so
 *       nothing another tool owns is ever deleted.
 * </ul>
 */
public final class GitOpsSync {
  public static final String FIELD_MANAGER = "gitops-sync";
  public static final String LABEL = "sync.gitops.osdeploy.io/name";

  private final KubernetesClient client;
  private final Path repository;
  private final String path;
  private final String name;
  private final String inventoryNamespace;

  /** What one sync did. */
  public record Result(String revision, List<String> applied, List<String> pruned) {}

  /** A revision that could not be synced; nothing of it was applied. */
  public static final class SyncFailed extends Exception {
    private final List<String> errors;

    SyncFailed(String revision, List<String> errors) {
      super("revision " + revision + " not applied:\n  " + String.join("\n  ", errors));
      this.errors = List.copyOf(errors);
    }

    public List<String> errors() {
      return errors;
    }
  }

  /**
   * Syncs folder {@code path} of git {@code repository} as the sync {@code name}, keeping its
   * inventory in a ConfigMap of {@code inventoryNamespace}.
   */
  public GitOpsSync(
      KubernetesClient client,
      Path repository,
      String path,
      String name,
      String inventoryNamespace) {
    this.client = client;
    this.repository = repository;
    this.path = path;
    this.name = name;
    this.inventoryNamespace = inventoryNamespace;
  }

  public Result sync(String revision) throws IOException, InterruptedException, SyncFailed {
    Path checkout = checkout(revision);
    List<Kustomization.Rendered> objects;
    try {
      objects = Kustomization.read(checkout.resolve(path)).render(client);
    } catch (IOException e) {
      throw new SyncFailed(revision, List.of(e.getMessage()));
    }
    for (Kustomization.Rendered r : objects) {
      Map<String, String> labels = new HashMap<>();
      if (r.object().getMetadata().getLabels() != null) {
        labels.putAll(r.object().getMetadata().getLabels());
      }
      labels.put(LABEL, name);
      r.object().getMetadata().setLabels(labels);
    }
    List<Kustomization.Rendered> namespaces =
        objects.stream().filter(r -> r.object().getKind().equals("Namespace")).toList();
    List<Kustomization.Rendered> rest =
        objects.stream().filter(r -> !r.object().getKind().equals("Namespace")).toList();

    List<String> errors = new ArrayList<>();
    namespaces.forEach(r -> dryRun(r, errors));
    if (errors.isEmpty()) {
      namespaces.forEach(this::apply);
      rest.forEach(r -> dryRun(r, errors));
    }
    if (!errors.isEmpty()) {
      throw new SyncFailed(revision, errors);
    }
    List<String> applied = new ArrayList<>();
    for (Kustomization.Rendered r : rest) {
      apply(r);
    }
    Set<String> inventory = new LinkedHashSet<>();
    objects.forEach(r -> inventory.add(entry(r.object())));
    objects.forEach(r -> applied.add(r.describe()));

    List<String> previous = new ArrayList<>(previousInventory());
    List<String> pruned = new ArrayList<>();
    // The reverse of the order applied: what lives in a namespace goes before the namespace.
    java.util.Collections.reverse(previous);
    for (String gone : previous) {
      if (!inventory.contains(gone) && prune(gone)) {
        pruned.add(gone);
      }
    }
    writeInventory(revision, inventory);
    return new Result(revision, applied, pruned);
  }

  /** The revision of the last sync that succeeded, or null. */
  public String lastAppliedRevision() {
    ConfigMap cm = inventoryConfigMap();
    return cm == null ? null : cm.getData().get("revision");
  }

  private void dryRun(Kustomization.Rendered r, List<String> errors) {
    try {
      client
          .resource(r.object())
          .dryRun()
          .fieldManager(FIELD_MANAGER)
          .forceConflicts()
          .serverSideApply();
    } catch (KubernetesClientException e) {
      String message =
          e.getStatus() != null && e.getStatus().getMessage() != null
              ? e.getStatus().getMessage()
              : e.getMessage();
      errors.add(r.describe() + ": " + message);
    }
  }

  private void apply(Kustomization.Rendered r) {
    client.resource(r.object()).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
  }

  /** apiVersion, kind, namespace and name, separated by '|'. */
  private static String entry(HasMetadata o) {
    String ns = o.getMetadata().getNamespace();
    return String.join(
        "|", o.getApiVersion(), o.getKind(), ns == null ? "" : ns, o.getMetadata().getName());
  }

  private boolean prune(String entry) {
    String[] p = entry.split("\\|", -1);
    var resources = client.genericKubernetesResources(p[0], p[1]);
    var resource =
        p[2].isEmpty() ? resources.withName(p[3]) : resources.inNamespace(p[2]).withName(p[3]);
    GenericKubernetesResource current = resource.get();
    if (current == null
        || current.getMetadata().getLabels() == null
        || !name.equals(current.getMetadata().getLabels().get(LABEL))
        || current.getMetadata().getDeletionTimestamp() != null) {
      return false;
    }
    resource.delete();
    return true;
  }

  private ConfigMap inventoryConfigMap() {
    return client.configMaps().inNamespace(inventoryNamespace).withName("sync-" + name).get();
  }

  private List<String> previousInventory() {
    ConfigMap cm = inventoryConfigMap();
    if (cm == null || cm.getData().get("inventory") == null) {
      return List.of();
    }
    return Arrays.stream(cm.getData().get("inventory").split("\n"))
        .filter(l -> !l.isBlank())
        .toList();
  }

  private void writeInventory(String revision, Set<String> inventory) {
    Map<String, String> data = new HashMap<>();
    data.put("revision", revision);
    data.put("inventory", String.join("\n", inventory) + "\n");
    client
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("sync-" + name)
                .withNamespace(inventoryNamespace)
                .endMetadata()
                .withData(data)
                .build())
        .fieldManager(FIELD_MANAGER)
        .forceConflicts()
        .serverSideApply();
  }

  /** The revision's tree in a fresh folder, as source-controller hands it to its consumers. */
  private Path checkout(String revision) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("gitops-sync-" + revision.substring(0, 7) + "-");
    git(null, "clone", "--quiet", "--no-checkout", repository.toString(), dir.toString());
    git(dir, "checkout", "--quiet", "--detach", revision);
    return dir;
  }

  /** Runs git in {@code dir}; its output, or an IOException naming the command. */
  public static String git(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("git"));
    if (dir != null) {
      command.addAll(List.of("-C", dir.toString()));
    }
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed:\n" + out);
    }
    return out.trim();
  }
}
