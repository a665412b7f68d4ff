package io.osdeploy.api.v1alpha1;

/**
 * Condition types every kind reports, with kstatus semantics: {@code Ready}; {@code Reconciling}
 * while work is in progress; {@code Stalled} only for an error that needs a change to the spec.
 */
public final class ConditionType {
  public static final String READY = "Ready";
  public static final String RECONCILING = "Reconciling";
  public static final String STALLED = "Stalled";

  private ConditionType() {}
}
