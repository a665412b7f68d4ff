package io.osdeploy.daemon.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.osdeploy.api.v1alpha1.MachineProgress;
import io.osdeploy.api.v1alpha1.OsdeployApi;
import io.osdeploy.api.v1alpha1.ProgressReport;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CompletionsTest {
  private static final String MAC = "52:54:00:00:00:01";
  private static final String UUID = "8c3e5a1b-2c3d-4e5f-9a8b-7c6d5e4f3a2b";

  private static TaskSequenceDeployment deployment(MachineProgress... machines) {
    TaskSequenceDeployment d = new TaskSequenceDeployment();
    d.getMetadata().setName("win11");
    d.setStatus(new TaskSequenceDeploymentStatus());
    d.getStatus().setReports(List.of(new ProgressReport("node-a", List.of(machines))));
    return d;
  }

  private static MachineProgress report(MachineProgress.State state, String time) {
    return new MachineProgress(MAC, UUID, state, 2, "", time);
  }

  @Test
  void aSuccessInTheStatusCountsByMacOrUuid() {
    Completions c =
        Completions.of(
            List.of(deployment(report(MachineProgress.State.Succeeded, "2026-12-01T10:00:00Z"))));
    assertEquals(
        Instant.parse("2026-12-01T10:00:00Z"), c.succeeded("win11", MAC.toUpperCase(), null));
    assertEquals(Instant.parse("2026-12-01T10:00:00Z"), c.succeeded("win11", null, UUID));
    assertNull(c.succeeded("win11", "52:54:00:00:00:02", null), "another machine");
    assertNull(c.succeeded("win10", MAC, UUID), "another deployment");
  }

  @Test
  void runningOrFailedIsNoSuccess() {
    Completions c =
        Completions.of(
            List.of(
                deployment(report(MachineProgress.State.Running, "2026-12-01T10:00:00Z")),
                deployment(report(MachineProgress.State.Failed, "2026-12-01T11:00:00Z"))));
    assertNull(c.succeeded("win11", MAC, UUID));
  }

  @Test
  void theReimageAnnotationOffersItAgainUntilANewerSuccess() {
    TaskSequenceDeployment d =
        deployment(report(MachineProgress.State.Succeeded, "2026-12-01T10:00:00Z"));
    d.getMetadata()
        .setAnnotations(Map.of(OsdeployApi.REIMAGE_AFTER_ANNOTATION, "2026-12-02T00:00:00Z"));
    Completions c = Completions.of(List.of(d));
    assertNull(c.succeeded("win11", MAC, UUID), "succeeded before the re-image time");
    Completions later =
        c.with(
            "win11",
            List.of(
                new MachineProgress(
                    MAC, null, MachineProgress.State.Succeeded, 2, "", "2026-12-03T08:00:00Z")));
    assertEquals(Instant.parse("2026-12-03T08:00:00Z"), later.succeeded("win11", MAC, null));
  }

  @Test
  void thisNodesOwnReportCountsBeforeTheStatusShowsIt() {
    Completions c =
        Completions.NONE.with(
            "win11", List.of(report(MachineProgress.State.Succeeded, "2026-12-01T10:00:00Z")));
    assertEquals(Instant.parse("2026-12-01T10:00:00Z"), c.succeeded("win11", MAC, null));
  }
}
