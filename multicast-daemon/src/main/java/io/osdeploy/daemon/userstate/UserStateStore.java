package io.osdeploy.daemon.userstate;

import io.osdeploy.api.v1alpha1.Patterns;
import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.api.v1alpha1.Target;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.daemon.policy.PolicyBook;
import io.osdeploy.daemon.policy.PolicyIndex;
import io.osdeploy.daemon.policy.PolicyRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The distribution point's state store: user state captured from a machine, kept as one archive per
 * store key until a machine restores it (the replace-a-computer and refresh scenarios). A machine
 * may write a key only when a deployment published here targets it and has a captureUserState step
 * for that key, and read one only through a restoreUserState step; a step without a key means the
 * machine's own name in the deployment's target.
 */
public final class UserStateStore {
  static final String DIR = ".osdeploy-userstate";

  /** Archives larger than this are refused while they arrive. */
  public static final long DEFAULT_MAX_BYTES = 8L << 30;

  /** What the whole store may hold, every key's kept versions together. */
  public static final long DEFAULT_QUOTA_BYTES = 64L << 30;

  private static final Logger log = LoggerFactory.getLogger(UserStateStore.class);

  /** Why a request is refused, with the HTTP status that says so. */
  public static final class Refusal extends Exception {
    private final int status;

    Refusal(int status, String message) {
      super(message);
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  /** A permitted key, and its kept versions. */
  public record Grant(String key, StoredVersions versions) {}

  /** An archive to restore: where it is, its SHA-256 and its version. */
  public record Stored(Path archive, String sha256, long version) {}

  private final PolicyBook policy;
  private final long maxBytes;
  private final long quotaBytes;
  private volatile Path root;

  public UserStateStore(PolicyBook policy, long maxBytes) {
    this(policy, maxBytes, DEFAULT_QUOTA_BYTES);
  }

  public UserStateStore(PolicyBook policy, long maxBytes, long quotaBytes) {
    this.policy = policy;
    this.maxBytes = maxBytes;
    this.quotaBytes = quotaBytes;
  }

  /**
   * Keeps archives under {@code contentPath}; until then every request is refused with 503. What a
   * crash left behind (unfinished uploads, versions no manifest names) is swept away, and archives
   * stored before versions existed are moved in as version 1.
   */
  public void open(Path contentPath) {
    Path dir = contentPath.resolve(DIR);
    try {
      if (Files.isDirectory(dir)) {
        try (Stream<Path> entries = Files.list(dir)) {
          for (Path entry : entries.toList()) {
            String name = entry.getFileName().toString();
            if (Files.isDirectory(entry)) {
              new StoredVersions(entry).sweep();
            } else if (name.endsWith(".zip")
                && Files.exists(entry.resolveSibling(name + ".sha256"))) {
              new StoredVersions(dir.resolve(name.substring(0, name.length() - 4)))
                  .adopt(entry, entry.resolveSibling(name + ".sha256"), Instant.now());
            } else if (name.endsWith(".partial") || name.endsWith(".tmp")) {
              Files.deleteIfExists(entry);
            }
          }
        }
      }
    } catch (IOException e) {
      log.warn("state store: cannot tidy {} ({})", dir, e.toString());
    }
    this.root = dir;
  }

  public long maxBytes() {
    return maxBytes;
  }

  public long quotaBytes() {
    return quotaBytes;
  }

  /** Bytes the store holds now, every key's versions and uploads together. */
  public long usedBytes() throws IOException {
    Path dir = root;
    if (dir == null || !Files.isDirectory(dir)) {
      return 0;
    }
    long total = 0;
    try (Stream<Path> keys = Files.list(dir)) {
      for (Path key : keys.toList()) {
        total += Files.isDirectory(key) ? new StoredVersions(key).bytes() : Files.size(key);
      }
    }
    return total;
  }

  /** Keeps a complete, synced upload as the key's newest version; returns its number. */
  public long keep(Grant grant, Path upload, String sha256, long bytes) throws IOException {
    return grant.versions().keep(upload, sha256, bytes, Instant.now()).version();
  }

  /** The key's newest version, if anything is stored under it. */
  public Optional<Stored> newest(Grant grant) throws IOException {
    return grant
        .versions()
        .newest()
        .map(v -> new Stored(grant.versions().archive(v), v.sha256(), v.version()));
  }

  /**
   * Whether the machine may {@code write} (capture) or read (restore) the key its request names, or
   * its default key.
   */
  public Grant authorize(String deployment, String mac, String uuid, String key, boolean write)
      throws Refusal {
    Path dir = root;
    if (dir == null) {
      throw new Refusal(503, "the state store is not configured yet; try again");
    }
    PolicyRequest machine;
    try {
      machine = new PolicyRequest(mac, uuid, PolicyRequest.Source.CLIENT, deployment);
    } catch (IllegalArgumentException e) {
      throw new Refusal(400, e.getMessage());
    }
    if (machine.deployment() == null) {
      throw new Refusal(400, "deployment: required");
    }
    if (key != null && (!key.matches(Patterns.OBJECT_NAME) || key.length() > 253)) {
      throw new Refusal(400, "key: not a store key (lower-case letters, digits, '-' and '.')");
    }
    if (!policy.publishes(machine.deployment())) {
      throw new Refusal(
          404, "deployment: this distribution point publishes no deployment " + deployment);
    }
    Optional<PolicyIndex.Offer> targeting =
        policy.targeting(machine.mac(), machine.uuid(), machine.deployment());
    if (targeting.isEmpty()) {
      throw new Refusal(403, "deployment: " + deployment + " is not for this machine");
    }
    TaskSequenceDeployment d = targeting.get().deployment();
    Target.Machine named = targeting.get().machine();
    String ownName = named == null ? null : named.getName();
    String wanted = key != null ? key : ownName;
    if (wanted == null) {
      throw new Refusal(
          400,
          "key: required; this machine has no name in the deployment's target (an unknown"
              + " computer)");
    }
    String action = write ? "captureUserState" : "restoreUserState";
    boolean permitted = false;
    for (Step step : d.getSpec().getTaskSequence().getSteps()) {
      Step.UserState s = write ? step.getCaptureUserState() : step.getRestoreUserState();
      if (s != null) {
        String stepKey = s.getStoreKey() != null ? s.getStoreKey() : ownName;
        permitted |= wanted.equals(stepKey);
      }
    }
    if (!permitted) {
      throw new Refusal(
          403,
          "key: deployment " + deployment + " has no " + action + " step for store key " + wanted);
    }
    return new Grant(wanted, new StoredVersions(dir.resolve(wanted)));
  }
}
