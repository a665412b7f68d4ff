package io.osdeploy.operator.status;

import io.osdeploy.api.v1alpha1.Condition;
import io.osdeploy.api.v1alpha1.ConditionType;
import io.osdeploy.api.v1alpha1.OsdeployStatus;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Builds the conditions of every kind from one {@link Assessment}: Ready, Reconciling and Stalled,
 * each stamped with the generation it describes, keeping {@code lastTransitionTime} when a
 * condition's status did not change. Conditions of other types are carried over untouched.
 */
public final class StatusAggregator {
  private final Clock clock;

  public StatusAggregator(Clock clock) {
    this.clock = clock;
  }

  public StatusAggregator() {
    this(Clock.systemUTC());
  }

  /**
   * Writes into {@code next} the status that {@code assessment} implies for {@code generation},
   * starting from {@code previous} (null for a resource that never had a status).
   */
  public void aggregate(
      OsdeployStatus previous, OsdeployStatus next, long generation, Assessment assessment) {
    List<Condition> before = previous == null ? List.of() : previous.getConditions();
    List<Condition> after = new ArrayList<>();
    String now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();

    boolean ready = assessment.state() == Assessment.State.READY;
    boolean reconciling = assessment.state() == Assessment.State.RECONCILING;
    boolean stalled = assessment.state() == Assessment.State.STALLED;

    after.add(
        condition(
            before,
            ConditionType.READY,
            ready,
            assessment.reason(),
            assessment.message(),
            generation,
            now));
    after.add(
        condition(
            before,
            ConditionType.RECONCILING,
            reconciling,
            reconciling ? assessment.reason() : "Idle",
            reconciling ? assessment.message() : "no work in progress",
            generation,
            now));
    after.add(
        condition(
            before,
            ConditionType.STALLED,
            stalled,
            stalled ? assessment.reason() : "NotStalled",
            stalled ? assessment.message() : "no error needs a change to the spec",
            generation,
            now));
    for (Condition other : before) {
      if (!isOwnType(other.getType())) {
        after.add(other);
      }
    }
    next.setConditions(after);
    next.setObservedGeneration(generation);
  }

  private static boolean isOwnType(String type) {
    return ConditionType.READY.equals(type)
        || ConditionType.RECONCILING.equals(type)
        || ConditionType.STALLED.equals(type);
  }

  private static Condition condition(
      List<Condition> before,
      String type,
      boolean value,
      String reason,
      String message,
      long generation,
      String now) {
    String status = value ? Condition.TRUE : Condition.FALSE;
    Optional<Condition> old = before.stream().filter(c -> type.equals(c.getType())).findFirst();
    String since =
        old.filter(c -> status.equals(c.getStatus()) && c.getLastTransitionTime() != null)
            .map(Condition::getLastTransitionTime)
            .orElse(now);
    Condition c = new Condition(type, status, reason, message);
    c.setObservedGeneration(generation);
    c.setLastTransitionTime(since);
    return c;
  }
}
