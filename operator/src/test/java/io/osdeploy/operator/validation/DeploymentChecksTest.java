package io.osdeploy.operator.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.api.v1alpha1.Target;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeploymentChecksTest {
  private static Target.Machine machine(String name, String mac, String uuid) {
    Target.Machine m = new Target.Machine();
    m.setName(name);
    m.setMac(mac);
    m.setSmbiosUuid(uuid);
    return m;
  }

  private static TaskSequenceDeploymentSpec spec(Target.Machine... machines) {
    Target target = new Target();
    target.setMachines(List.of(machines));
    TaskSequenceDeploymentSpec spec = new TaskSequenceDeploymentSpec();
    spec.setTarget(target);
    return spec;
  }

  @Test
  void distinctMachinesPass() {
    assertTrue(
        DeploymentChecks.problems(
                spec(
                    machine("a", "52:54:00:00:00:01", null),
                    machine("b", "52:54:00:00:00:02", "4c4c4544-0042-3510-8052-b3c04f4d3232")))
            .isEmpty());
  }

  @Test
  void findsTheSameMacSpelledDifferently() {
    List<Problem> problems =
        DeploymentChecks.problems(
            spec(machine("a", "52:54:00:AA:00:01", null), machine("b", "52-54-00-aa-00-01", null)));
    assertEquals(
        List.of(
            new Problem(
                "/spec/target/machines/1/mac",
                "duplicate value \"52:54:00:aa:00:01\" (also in spec.target.machines[0])")),
        problems);
    assertEquals("spec.target.machines[1].mac", problems.get(0).field());
  }

  @Test
  void findsDuplicateNamesAndUuids() {
    List<Problem> problems =
        DeploymentChecks.problems(
            spec(
                machine("a", null, "4C4C4544-0042-3510-8052-B3C04F4D3232"),
                machine("a", null, "4c4c4544-0042-3510-8052-b3c04f4d3232")));
    assertEquals(
        List.of("/spec/target/machines/1/name", "/spec/target/machines/1/smbiosUuid"),
        problems.stream().map(Problem::pointer).toList());
  }
}
