package io.osdeploy.daemon.userstate;

import io.osdeploy.api.v1alpha1.Patterns;
import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.api.v1alpha1.Target;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.daemon.policy.PolicyBook;
import io.osdeploy.daemon.policy.PolicyIndex;
import io.osdeploy.daemon.policy.PolicyRequest;
import java.nio.file.Path;
import java.util.Optional;

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

  /** Where a permitted key's archive and its SHA-256 live. */
  public record Grant(String key, Path archive, Path sha256) {}

  private final PolicyBook policy;
  private final long maxBytes;
  private volatile Path root;

  public UserStateStore(PolicyBook policy, long maxBytes) {
    this.policy = policy;
    this.maxBytes = maxBytes;
  }

  /** Keeps archives under {@code contentPath}; until then every request is refused with 503. */
  public void open(Path contentPath) {
    this.root = contentPath.resolve(DIR);
  }

  public long maxBytes() {
    return maxBytes;
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
    return new Grant(wanted, dir.resolve(wanted + ".zip"), dir.resolve(wanted + ".zip.sha256"));
  }
}
