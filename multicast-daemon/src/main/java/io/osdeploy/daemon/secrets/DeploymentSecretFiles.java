package io.osdeploy.daemon.secrets;

import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.auth.DeploymentSecrets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The Secret values this node's deployments hand to machines, read from the distribution point's
 * mounted deployment-secrets Secret ({@code deploymentSecretsDirectory} in the configuration, or
 * {@code --deployment-secrets}) at each request, so a value the kubelet refreshes is served at
 * once. Nothing here logs a value.
 */
public final class DeploymentSecretFiles {
  /** How a key of the Secret looks: a file name, never a path. */
  private static final Pattern ENTRY = Pattern.compile("^[A-Za-z0-9][-._A-Za-z0-9]{0,252}$");

  /** The longest file read: values are at most 256 characters, 4 bytes each in UTF-8. */
  private static final long MAX_BYTES = 1024;

  private volatile Path directory;

  /** Reads from {@code dir} from now on; null: none (every value is "not yet"). */
  public void readFrom(Path dir) {
    this.directory = dir;
  }

  /** The outcome of asking for a step's values. */
  public sealed interface Answer {}

  /** The step's values by name. */
  public record Values(Map<String, String> values) implements Answer {}

  /** The step hands nothing. */
  public record NoneForStep() implements Answer {}

  /** The step hands values that have not reached this node (yet): {@code missing} names them. */
  public record NotYet(List<String> missing) implements Answer {}

  /** The values step {@code step} of {@code deployment} (as published) hands its machines. */
  public Answer forStep(TaskSequenceDeployment deployment, int step) throws IOException {
    List<DeploymentSecrets.Entry> entries =
        DeploymentSecrets.of(deployment.getSpec()).stream().filter(e -> e.step() == step).toList();
    if (entries.isEmpty()) {
      return new NoneForStep();
    }
    Path dir = directory;
    Map<String, String> values = new LinkedHashMap<>();
    List<String> missing = new java.util.ArrayList<>();
    for (DeploymentSecrets.Entry e : entries) {
      String entry = e.entry(deployment.getMetadata().getName());
      String value = dir == null || !ENTRY.matcher(entry).matches() ? null : read(dir, entry);
      if (value == null) {
        missing.add(e.name());
      } else {
        values.put(e.name(), value);
      }
    }
    return missing.isEmpty() ? new Values(values) : new NotYet(missing);
  }

  private static String read(Path dir, String entry) throws IOException {
    Path file = dir.resolve(entry);
    try {
      if (Files.size(file) > MAX_BYTES) {
        return null;
      }
      String value = Files.readString(file, StandardCharsets.UTF_8);
      return value.isEmpty() ? null : value;
    } catch (NoSuchFileException e) {
      return null;
    }
  }
}
