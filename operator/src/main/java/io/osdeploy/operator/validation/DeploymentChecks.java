package io.osdeploy.operator.validation;

import io.osdeploy.api.v1alpha1.MacAddress;
import io.osdeploy.api.v1alpha1.Target;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Checks of a TaskSequenceDeployment that the CRD schema cannot make cheaply (the API server's CEL
 * cost limit rules out comparing every pair of up to 10,000 machines). Used by the reconciler and
 * by {@code validate}, so both report the same message.
 */
public final class DeploymentChecks {
  private DeploymentChecks() {}

  /** Every problem, each at the field it concerns, e.g. {@code /spec/target/machines/3/mac}. */
  public static List<Problem> problems(TaskSequenceDeploymentSpec spec) {
    List<Problem> problems = new ArrayList<>();
    if (spec == null || spec.getTarget() == null || spec.getTarget().getMachines() == null) {
      return problems;
    }
    List<Target.Machine> machines = spec.getTarget().getMachines();
    Map<String, Integer> names = new HashMap<>();
    Map<String, Integer> macs = new HashMap<>();
    Map<String, Integer> uuids = new HashMap<>();
    for (int i = 0; i < machines.size(); i++) {
      Target.Machine m = machines.get(i);
      duplicate(names, m.getName(), i, "name", problems);
      duplicate(macs, MacAddress.normalize(m.getMac()), i, "mac", problems);
      duplicate(
          uuids,
          m.getSmbiosUuid() == null ? null : m.getSmbiosUuid().toLowerCase(Locale.ROOT),
          i,
          "smbiosUuid",
          problems);
    }
    return problems;
  }

  private static void duplicate(
      Map<String, Integer> seen, String value, int index, String field, List<Problem> problems) {
    if (value == null) {
      return;
    }
    Integer first = seen.putIfAbsent(value, index);
    if (first != null) {
      problems.add(
          new Problem(
              "/spec/target/machines/" + index + "/" + field,
              "duplicate value \"" + value + "\" (also in spec.target.machines[" + first + "])"));
    }
  }
}
