package io.osdeploy.operator.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class DaemonPodsTest {
  @Test
  void aPodOnItsWayIsNoProblem() {
    Pod creating =
        pod(
            "site-daemon-a",
            List.of(),
            List.of(
                new ContainerStatusBuilder()
                    .withName("daemon")
                    .withNewState()
                    .withNewWaiting()
                    .withReason("ContainerCreating")
                    .endWaiting()
                    .endState()
                    .build()));
    assertTrue(DaemonPods.failing(List.of(creating)).isEmpty());
  }

  @Test
  void anImageThatCannotBeHadNamesThePodNodeAndReason() {
    Pod pod =
        pod(
            "site-daemon-a",
            List.of(
                new ContainerStatusBuilder()
                    .withName("prepare-content")
                    .withNewState()
                    .withNewWaiting()
                    .withReason("ErrImageNeverPull")
                    .withMessage("Container image \"osdeploy/daemon:9\" is not present")
                    .endWaiting()
                    .endState()
                    .build()),
            List.of());
    Assessment a = DaemonPods.failing(List.of(pod)).orElseThrow();
    assertEquals(Assessment.State.RECONCILING, a.state());
    assertEquals("DaemonPodFailing", a.reason());
    assertEquals(
        "pod site-daemon-a on node node-1: container prepare-content ErrImageNeverPull:"
            + " Container image \"osdeploy/daemon:9\" is not present",
        a.message());
  }

  @Test
  void aLongPullErrorKeepsItsStart() {
    String message = "failed to pull image \"osdeploy/daemon:9\": " + "y".repeat(400);
    Pod pod =
        pod(
            "site-daemon-c",
            List.of(),
            List.of(
                new ContainerStatusBuilder()
                    .withName("daemon")
                    .withNewState()
                    .withNewWaiting()
                    .withReason("ErrImagePull")
                    .withMessage(message)
                    .endWaiting()
                    .endState()
                    .build()));
    String shown = DaemonPods.failing(List.of(pod)).orElseThrow().message();
    assertTrue(
        shown.startsWith(
            "pod site-daemon-c on node node-1: container daemon ErrImagePull: failed to pull image"
                + " \"osdeploy/daemon:9\": yyy"),
        shown);
    assertTrue(shown.endsWith("y..."), shown);
  }

  @Test
  void aCrashLoopShowsTheExitCodeAndTheEndOfTheLog() {
    String log = "x".repeat(500) + "\nBindException: Address already in use\n";
    Pod pod =
        pod(
            "site-daemon-b",
            List.of(),
            List.of(
                new ContainerStatusBuilder()
                    .withName("daemon")
                    .withNewState()
                    .withNewWaiting()
                    .withReason("CrashLoopBackOff")
                    .endWaiting()
                    .endState()
                    .withNewLastState()
                    .withNewTerminated()
                    .withExitCode(1)
                    .withMessage(log)
                    .endTerminated()
                    .endLastState()
                    .build()));
    String message = DaemonPods.failing(List.of(pod)).orElseThrow().message();
    assertTrue(
        message.startsWith(
            "pod site-daemon-b on node node-1: container daemon CrashLoopBackOff"
                + " (exit code 1): ..."),
        message);
    assertTrue(message.endsWith(" | BindException: Address already in use"), message);
    assertTrue(message.length() < DaemonPods.MAX_DETAIL + 100, message);
  }

  @Test
  void podSecurityRefusalsStallWithWhatToDo() {
    Event older = event("FailedCreate", "quota exceeded", "2026-12-05T10:00:00Z");
    Event newer =
        event(
            "FailedCreate",
            "pods \"site-daemon-x\" is forbidden: violates PodSecurity \"baseline:latest\":"
                + " host namespaces (hostNetwork=true)",
            "2026-12-05T10:01:00Z");
    Assessment a = DaemonPods.refused(List.of(newer, older)).orElseThrow();
    assertEquals(Assessment.State.STALLED, a.state());
    assertEquals("PodSecurityRefused", a.reason());
    assertTrue(a.message().contains("violates PodSecurity \"baseline:latest\""), a.message());
    assertTrue(a.message().contains("pod-security.kubernetes.io/enforce=privileged"), a.message());

    Assessment quota = DaemonPods.refused(List.of(older)).orElseThrow();
    assertEquals("DaemonPodsNotCreated", quota.reason());
    assertTrue(DaemonPods.refused(List.of(event("SuccessfulCreate", "ok", "x"))).isEmpty());
  }

  private static Pod pod(String name, List<ContainerStatus> init, List<ContainerStatus> main) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withNodeName("node-1")
        .endSpec()
        .withNewStatus()
        .withInitContainerStatuses(init)
        .withContainerStatuses(main)
        .endStatus()
        .build();
  }

  private static Event event(String reason, String message, String last) {
    return new EventBuilder()
        .withNewMetadata()
        .withName("e-" + last)
        .endMetadata()
        .withReason(reason)
        .withMessage(message)
        .withLastTimestamp(last)
        .build();
  }
}
