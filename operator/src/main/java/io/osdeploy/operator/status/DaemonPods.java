package io.osdeploy.operator.status;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Why a distribution point's daemon pods do not run, read from the pods (a container that cannot
 * start, an image that cannot be had, a pod no node takes) and, when the pods were never created,
 * from the DaemonSet's {@code FailedCreate} events (admission refused them: Pod Security, a quota).
 */
public final class DaemonPods {
  /** Waiting reasons that do not pass by themselves; ContainerCreating and PodInitializing do. */
  private static final Set<String> FAILING =
      Set.of(
          "CrashLoopBackOff",
          "ErrImagePull",
          "ImagePullBackOff",
          "ErrImageNeverPull",
          "InvalidImageName",
          "CreateContainerConfigError",
          "CreateContainerError",
          "RunContainerError");

  /** Longest message kept from a container's termination message (its last log lines). */
  static final int MAX_DETAIL = 300;

  private DaemonPods() {}

  /**
   * The first problem of each failing pod, as "pod P on node N: ..." joined by "; ", or empty when
   * every pod is running or on its way.
   */
  public static Optional<Assessment> failing(List<Pod> pods) {
    List<String> problems = new ArrayList<>();
    for (Pod pod : sorted(pods)) {
      problem(pod).ifPresent(p -> problems.add(where(pod) + ": " + p));
    }
    if (problems.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(Assessment.reconciling("DaemonPodFailing", String.join("; ", problems)));
  }

  /**
   * The DaemonSet's pods were refused when it created them: the newest {@code FailedCreate} event's
   * message, with what to do when Pod Security refused them.
   */
  public static Optional<Assessment> refused(List<Event> daemonSetEvents) {
    Optional<Event> newest =
        daemonSetEvents.stream()
            .filter(e -> "FailedCreate".equals(e.getReason()))
            .max(Comparator.comparing(DaemonPods::lastSeen));
    if (newest.isEmpty()) {
      return Optional.empty();
    }
    String message = newest.get().getMessage();
    if (message != null && message.contains("PodSecurity")) {
      return Optional.of(
          Assessment.stalled(
              "PodSecurityRefused",
              "the daemon's pods are refused by Pod Security ("
                  + message
                  + "); a distribution point's daemon needs the host's network and a hostPath:"
                  + " label its namespace pod-security.kubernetes.io/enforce=privileged"));
    }
    return Optional.of(
        Assessment.reconciling(
            "DaemonPodsNotCreated", "the daemon's pods cannot be created: " + message));
  }

  private static Optional<String> problem(Pod pod) {
    if (pod.getMetadata().getDeletionTimestamp() != null || pod.getStatus() == null) {
      return Optional.empty();
    }
    List<ContainerStatus> statuses = new ArrayList<>(pod.getStatus().getInitContainerStatuses());
    statuses.addAll(pod.getStatus().getContainerStatuses());
    for (ContainerStatus status : statuses) {
      Optional<String> problem = problem(status);
      if (problem.isPresent()) {
        return problem;
      }
    }
    for (PodCondition c : pod.getStatus().getConditions()) {
      if ("PodScheduled".equals(c.getType())
          && "False".equals(c.getStatus())
          && "Unschedulable".equals(c.getReason())) {
        return Optional.of("Unschedulable (" + c.getMessage() + ")");
      }
    }
    return Optional.empty();
  }

  private static Optional<String> problem(ContainerStatus status) {
    if (status.getState() == null) {
      return Optional.empty();
    }
    ContainerStateWaiting waiting = status.getState().getWaiting();
    if (waiting != null && FAILING.contains(waiting.getReason())) {
      StringBuilder out = new StringBuilder();
      out.append("container ").append(status.getName()).append(' ').append(waiting.getReason());
      ContainerStateTerminated last =
          status.getLastState() == null ? null : status.getLastState().getTerminated();
      if (last != null) {
        out.append(" (exit code ").append(last.getExitCode()).append(')');
        appendDetail(out, last.getMessage(), true);
      } else {
        appendDetail(out, waiting.getMessage(), false);
      }
      return Optional.of(out.toString());
    }
    ContainerStateTerminated terminated = status.getState().getTerminated();
    if (terminated != null && terminated.getExitCode() != null && terminated.getExitCode() != 0) {
      StringBuilder out = new StringBuilder();
      out.append("container ")
          .append(status.getName())
          .append(" exited with code ")
          .append(terminated.getExitCode());
      appendDetail(out, terminated.getMessage(), true);
      return Optional.of(out.toString());
    }
    return Optional.empty();
  }

  /**
   * {@code detail} on one line, cut to what fits: its end for a log's last lines ({@code fromEnd}),
   * its start for the kubelet's own message.
   */
  private static void appendDetail(StringBuilder out, String detail, boolean fromEnd) {
    if (detail == null || detail.isBlank()) {
      return;
    }
    String oneLine = detail.strip().replaceAll("\\s*\\R\\s*", " | ");
    if (oneLine.length() > MAX_DETAIL) {
      oneLine =
          fromEnd
              ? "..." + oneLine.substring(oneLine.length() - MAX_DETAIL)
              : oneLine.substring(0, MAX_DETAIL) + "...";
    }
    out.append(": ").append(oneLine);
  }

  private static String where(Pod pod) {
    String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    return "pod "
        + pod.getMetadata().getName()
        + (node == null ? " (no node)" : " on node " + node);
  }

  private static List<Pod> sorted(List<Pod> pods) {
    return pods.stream().sorted(Comparator.comparing(p -> p.getMetadata().getName())).toList();
  }

  private static String lastSeen(Event e) {
    if (e.getLastTimestamp() != null) {
      return e.getLastTimestamp();
    }
    if (e.getEventTime() != null && e.getEventTime().getTime() != null) {
      return e.getEventTime().getTime();
    }
    return e.getMetadata().getCreationTimestamp() == null
        ? ""
        : e.getMetadata().getCreationTimestamp();
  }
}
