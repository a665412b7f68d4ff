package io.osdeploy.operator.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.osdeploy.api.v1alpha1.Condition;
import io.osdeploy.api.v1alpha1.ConditionType;
import io.osdeploy.api.v1alpha1.OsdeployStatus;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusAggregatorTest {
  private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");
  private static final Instant T1 = Instant.parse("2026-11-23T10:05:00Z");

  private static StatusAggregator at(Instant now) {
    return new StatusAggregator(Clock.fixed(now, ZoneOffset.UTC));
  }

  private static OsdeployStatus aggregate(
      StatusAggregator aggregator, OsdeployStatus previous, long generation, Assessment a) {
    OsdeployStatus next = new OsdeployStatus();
    aggregator.aggregate(previous, next, generation, a);
    return next;
  }

  private static Condition get(OsdeployStatus s, String type) {
    return s.condition(type).orElseThrow();
  }

  @Test
  void readySetsReadyTrueAndTheOthersFalse() {
    OsdeployStatus s = aggregate(at(T0), null, 3, Assessment.ready("Accepted", "fine"));
    assertEquals(Long.valueOf(3), s.getObservedGeneration());
    assertEquals("True", get(s, ConditionType.READY).getStatus());
    assertEquals("Accepted", get(s, ConditionType.READY).getReason());
    assertEquals("False", get(s, ConditionType.RECONCILING).getStatus());
    assertEquals("False", get(s, ConditionType.STALLED).getStatus());
    for (Condition c : s.getConditions()) {
      assertEquals(Long.valueOf(3), c.getObservedGeneration(), c.getType());
      assertEquals("2026-11-23T10:00:00Z", c.getLastTransitionTime(), c.getType());
    }
  }

  @Test
  void reconcilingIsNotReadyAndNotStalled() {
    OsdeployStatus s =
        aggregate(at(T0), null, 1, Assessment.reconciling("WaitingForReferences", "x missing"));
    assertEquals("False", get(s, ConditionType.READY).getStatus());
    assertEquals("WaitingForReferences", get(s, ConditionType.READY).getReason());
    assertEquals("True", get(s, ConditionType.RECONCILING).getStatus());
    assertEquals("x missing", get(s, ConditionType.RECONCILING).getMessage());
    assertEquals("False", get(s, ConditionType.STALLED).getStatus());
  }

  @Test
  void stalledIsNotReadyAndNotReconciling() {
    OsdeployStatus s = aggregate(at(T0), null, 1, Assessment.stalled("InvalidSpec", "spec.x: bad"));
    assertEquals("False", get(s, ConditionType.READY).getStatus());
    assertEquals("False", get(s, ConditionType.RECONCILING).getStatus());
    assertEquals("True", get(s, ConditionType.STALLED).getStatus());
    assertEquals("InvalidSpec", get(s, ConditionType.STALLED).getReason());
    assertEquals("spec.x: bad", get(s, ConditionType.STALLED).getMessage());
  }

  @Test
  void keepsLastTransitionTimeWhenAConditionsStatusDoesNotChange() {
    OsdeployStatus first = aggregate(at(T0), null, 1, Assessment.ready("Accepted", "fine"));
    OsdeployStatus second = aggregate(at(T1), first, 2, Assessment.ready("Accepted", "fine"));
    assertEquals("2026-11-23T10:00:00Z", get(second, ConditionType.READY).getLastTransitionTime());
    assertEquals(Long.valueOf(2), get(second, ConditionType.READY).getObservedGeneration());
    assertEquals(Long.valueOf(2), second.getObservedGeneration());
  }

  @Test
  void movesLastTransitionTimeOnlyForConditionsThatFlipped() {
    OsdeployStatus first =
        aggregate(at(T0), null, 1, Assessment.reconciling("WaitingForReferences", "x"));
    OsdeployStatus second = aggregate(at(T1), first, 1, Assessment.ready("Accepted", "fine"));
    assertEquals("2026-11-23T10:05:00Z", get(second, ConditionType.READY).getLastTransitionTime());
    assertEquals(
        "2026-11-23T10:05:00Z", get(second, ConditionType.RECONCILING).getLastTransitionTime());
    assertEquals(
        "2026-11-23T10:00:00Z", get(second, ConditionType.STALLED).getLastTransitionTime());
  }

  @Test
  void carriesOverConditionsOfOtherTypes() {
    OsdeployStatus previous = new OsdeployStatus();
    Condition multicast = new Condition("MulticastReady", "True", "SessionsIdle", "ok");
    previous.setConditions(List.of(multicast));
    OsdeployStatus s = aggregate(at(T0), previous, 1, Assessment.ready("Accepted", "fine"));
    assertEquals(4, s.getConditions().size());
    assertEquals(multicast, s.condition("MulticastReady").orElseThrow());
  }

  @Test
  void theSameAssessmentTwiceChangesNothing() {
    OsdeployStatus first = aggregate(at(T0), null, 1, Assessment.ready("Accepted", "fine"));
    OsdeployStatus second = aggregate(at(T1), first, 1, Assessment.ready("Accepted", "fine"));
    assertEquals(first.getObservedGeneration(), second.getObservedGeneration());
    assertEquals(first.getConditions(), second.getConditions());
  }

  @Test
  void aNewMessageIsAChange() {
    OsdeployStatus first = aggregate(at(T0), null, 1, Assessment.reconciling("Waiting", "a"));
    OsdeployStatus second = aggregate(at(T0), first, 1, Assessment.reconciling("Waiting", "b"));
    assertNotEquals(first.getConditions(), second.getConditions());
  }
}
