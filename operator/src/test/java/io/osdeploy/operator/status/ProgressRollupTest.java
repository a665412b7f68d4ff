package io.osdeploy.operator.status;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.osdeploy.api.v1alpha1.MachineProgress;
import io.osdeploy.api.v1alpha1.MachineProgress.State;
import io.osdeploy.api.v1alpha1.ProgressReport;
import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.api.v1alpha1.Target;
import io.osdeploy.api.v1alpha1.TaskSequence;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentStatus.MachineCounts;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentStatus.MachineFailure;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressRollupTest {
  private static TaskSequenceDeploymentSpec spec(int machines, boolean withUuids) {
    TaskSequenceDeploymentSpec spec = new TaskSequenceDeploymentSpec();
    List<Target.Machine> list = new ArrayList<>();
    for (int i = 1; i <= machines; i++) {
      Target.Machine m = new Target.Machine();
      m.setName("desk-" + i);
      m.setMac(String.format("52-54-00-00-00-%02X", i));
      if (withUuids) {
        m.setSmbiosUuid(String.format("0000000%d-0000-4000-8000-00000000000A", i));
      }
      list.add(m);
    }
    Target target = new Target();
    target.setMachines(list);
    spec.setTarget(target);
    Step partition = new Step();
    partition.setName("Partition");
    Step apply = new Step();
    apply.setName("Apply image");
    TaskSequence ts = new TaskSequence();
    ts.setSteps(List.of(partition, apply));
    spec.setTaskSequence(ts);
    return spec;
  }

  private static MachineProgress p(String mac, State state, int step, String time) {
    return new MachineProgress(mac, null, state, step, "at step " + step, time);
  }

  private static void assertCounts(
      MachineCounts c, int targeted, int pending, int running, int succeeded, int failed) {
    assertEquals(
        List.of(targeted, pending, running, succeeded, failed),
        List.of(c.getTargeted(), c.getPending(), c.getRunning(), c.getSucceeded(), c.getFailed()));
  }

  @Test
  void nothingReportedLeavesEveryTargetPending() {
    ProgressRollup.Result r = ProgressRollup.rollup(spec(3, false), List.of());
    assertCounts(r.counts(), 3, 3, 0, 0, 0);
    assertEquals(List.of(), r.recentFailures());
  }

  @Test
  void aMachineReportingToTwoNodesCountsOnceAtItsLatestReport() {
    ProgressRollup.Result r =
        ProgressRollup.rollup(
            spec(3, false),
            List.of(
                new ProgressReport(
                    "node-a",
                    List.of(
                        p("52:54:00:00:00:01", State.Running, 1, "2026-11-23T10:00:00Z"),
                        p("52:54:00:00:00:02", State.Failed, 1, "2026-11-23T10:05:00Z"))),
                new ProgressReport(
                    "node-b",
                    List.of(
                        p("52:54:00:00:00:01", State.Succeeded, 1, "2026-11-23T10:09:00.5Z"),
                        p("52:54:00:00:00:02", State.Running, 0, "2026-11-23T10:01:00Z")))));
    assertCounts(r.counts(), 3, 1, 0, 1, 1);
    MachineFailure f = r.recentFailures().get(0);
    assertEquals("52:54:00:00:00:02", f.getMachine());
    assertEquals(1, f.getStep());
    assertEquals("Apply image", f.getStepName());
    assertEquals("at step 1", f.getMessage());
  }

  @Test
  void aMachineIsMatchedByUuidWhenItSentNoMacAndAStrangerIsCountedButNotTargeted() {
    MachineProgress byUuid =
        new MachineProgress(
            null,
            "00000002-0000-4000-8000-00000000000a",
            State.Running,
            0,
            null,
            "2026-11-23T10:00:00Z");
    MachineProgress stranger = p("52:54:00:00:00:99", State.Running, 0, "2026-11-23T10:00:00Z");
    ProgressRollup.Result r =
        ProgressRollup.rollup(
            spec(2, true), List.of(new ProgressReport("node-a", List.of(byUuid, stranger))));
    assertCounts(r.counts(), 2, 1, 2, 0, 0);
  }

  @Test
  void recentFailuresAreTheNewestFive() {
    List<MachineProgress> failed = new ArrayList<>();
    for (int i = 1; i <= 8; i++) {
      failed.add(
          p(
              String.format("52:54:00:00:00:%02x", i),
              State.Failed,
              0,
              String.format("2026-11-23T10:%02d:00Z", i)));
    }
    ProgressRollup.Result r =
        ProgressRollup.rollup(spec(8, false), List.of(new ProgressReport("node-a", failed)));
    assertCounts(r.counts(), 8, 0, 0, 0, 8);
    assertEquals(
        List.of(
            "52:54:00:00:00:08",
            "52:54:00:00:00:07",
            "52:54:00:00:00:06",
            "52:54:00:00:00:05",
            "52:54:00:00:00:04"),
        r.recentFailures().stream().map(MachineFailure::getMachine).toList());
    assertEquals("Partition", r.recentFailures().get(0).getStepName());
  }

  private static io.osdeploy.api.v1alpha1.ImageCapture capture(
      String mac, String name, String sha, String time) {
    io.osdeploy.api.v1alpha1.ImageCapture c = new io.osdeploy.api.v1alpha1.ImageCapture();
    c.setMac(mac);
    c.setName(name);
    c.setSha256(sha);
    c.setTime(time);
    return c;
  }

  @Test
  void capturesAreOnePerMachineAndNameNewestFirstFromEveryNode() {
    ProgressReport a = new ProgressReport("node-a", List.of());
    a.setCaptures(
        List.of(
            capture("52:54:00:00:00:01", "reference", "old", "2026-12-06T10:00:00Z"),
            capture("52:54:00:00:00:02", "reference", "b", "2026-12-06T10:05:00Z")));
    ProgressReport b = new ProgressReport("node-b", List.of());
    b.setCaptures(
        List.of(
            capture("52:54:00:00:00:01", "reference", "new", "2026-12-06T11:00:00Z"),
            capture("52:54:00:00:00:01", "data", "d", "2026-12-06T09:00:00Z")));

    List<io.osdeploy.api.v1alpha1.ImageCapture> captures =
        ProgressRollup.rollup(spec(2, false), List.of(a, b)).captures();

    assertEquals(
        List.of("new", "b", "d"),
        captures.stream().map(io.osdeploy.api.v1alpha1.ImageCapture::getSha256).toList(),
        "the machine captured again on another node counts once, at its newest");
  }
}
