package io.osdeploy.operator.status;

import java.util.Objects;

/**
 * What a reconcile concluded about a resource, in kstatus terms: ready, still working (may fix
 * itself), or stalled (needs a change to the spec). The reason is CamelCase; the message names the
 * field or object concerned.
 */
public record Assessment(State state, String reason, String message) {
  public enum State {
    READY,
    RECONCILING,
    STALLED
  }

  public Assessment {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(message, "message");
  }

  public static Assessment ready(String reason, String message) {
    return new Assessment(State.READY, reason, message);
  }

  public static Assessment reconciling(String reason, String message) {
    return new Assessment(State.RECONCILING, reason, message);
  }

  public static Assessment stalled(String reason, String message) {
    return new Assessment(State.STALLED, reason, message);
  }
}
