package io.osdeploy.operator.status;

import io.osdeploy.api.v1alpha1.ImageCapture;
import io.osdeploy.api.v1alpha1.MacAddress;
import io.osdeploy.api.v1alpha1.MachineProgress;
import io.osdeploy.api.v1alpha1.ProgressReport;
import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.api.v1alpha1.Target;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentStatus.MachineCounts;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentStatus.MachineFailure;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Rolls the daemons' per-node progress reports up into a deployment's machine counts and latest
 * failures. A machine's agent may report to several nodes of a distribution point (the Service
 * spreads requests), so each machine counts once, at its latest report. A report names a machine by
 * MAC and/or SMBIOS UUID; it counts for the targeted machine either of them matches.
 */
public final class ProgressRollup {
  /** How many failures {@code status.recentFailures} keeps. */
  public static final int RECENT_FAILURES = 5;

  /**
   * At most this many captures in {@code status.captures}: a deployment's status stays far below
   * the API server's object size limit whatever its machines upload.
   */
  public static final int MAX_CAPTURES = 100;

  public record Result(
      MachineCounts counts, List<MachineFailure> recentFailures, List<ImageCapture> captures) {}

  private record Latest(MachineProgress progress, Instant time) {}

  private ProgressRollup() {}

  public static Result rollup(TaskSequenceDeploymentSpec spec, List<ProgressReport> reports) {
    List<Target.Machine> targets =
        spec.getTarget() == null || spec.getTarget().getMachines() == null
            ? List.of()
            : spec.getTarget().getMachines();
    Map<String, Integer> byMac = new HashMap<>();
    Map<String, Integer> byUuid = new HashMap<>();
    for (int i = 0; i < targets.size(); i++) {
      Target.Machine m = targets.get(i);
      if (m.getMac() != null) {
        byMac.putIfAbsent(MacAddress.normalize(m.getMac()), i);
      }
      if (m.getSmbiosUuid() != null) {
        byUuid.putIfAbsent(m.getSmbiosUuid().toLowerCase(Locale.ROOT), i);
      }
    }
    Map<String, Latest> latest = new HashMap<>();
    Set<Integer> heardFrom = new HashSet<>();
    for (ProgressReport report : reports == null ? List.<ProgressReport>of() : reports) {
      for (MachineProgress p : report.getMachines()) {
        if (p.getState() == null || p.machine() == null) {
          continue;
        }
        Integer target = targetOf(p, byMac, byUuid);
        String key = target != null ? "target:" + target : "machine:" + p.machine();
        if (target != null) {
          heardFrom.add(target);
        }
        Instant time = parse(p.getTime());
        Latest seen = latest.get(key);
        if (seen == null || time.isAfter(seen.time())) {
          latest.put(key, new Latest(p, time));
        }
      }
    }
    int running = 0;
    int succeeded = 0;
    int failed = 0;
    List<Latest> failures = new ArrayList<>();
    for (Latest l : latest.values()) {
      switch (l.progress().getState()) {
        case Running -> running++;
        case Succeeded -> succeeded++;
        case Failed -> {
          failed++;
          failures.add(l);
        }
      }
    }
    failures.sort(
        Comparator.comparing(Latest::time).reversed().thenComparing(l -> l.progress().machine()));
    List<Step> steps =
        spec.getTaskSequence() == null || spec.getTaskSequence().getSteps() == null
            ? List.of()
            : spec.getTaskSequence().getSteps();
    List<MachineFailure> recent =
        failures.stream().limit(RECENT_FAILURES).map(l -> failure(l.progress(), steps)).toList();
    MachineCounts counts =
        new MachineCounts(
            targets.size(), targets.size() - heardFrom.size(), running, succeeded, failed);
    return new Result(counts, recent, captures(reports));
  }

  /**
   * Every node's captures, one per machine and step name (the newest, should two nodes hold one),
   * newest first.
   */
  static List<ImageCapture> captures(List<ProgressReport> reports) {
    Map<String, ImageCapture> newest = new HashMap<>();
    for (ProgressReport report : reports == null ? List.<ProgressReport>of() : reports) {
      for (ImageCapture c : report.getCaptures()) {
        if (c.machine() == null || c.getName() == null) {
          continue;
        }
        newest.merge(
            c.machine() + "/" + c.getName(),
            c,
            (a, b) -> parse(b.getTime()).isAfter(parse(a.getTime())) ? b : a);
      }
    }
    return newest.values().stream()
        .sorted(
            Comparator.comparing((ImageCapture c) -> parse(c.getTime()))
                .reversed()
                .thenComparing(ImageCapture::machine)
                .thenComparing(ImageCapture::getName))
        .limit(MAX_CAPTURES)
        .toList();
  }

  private static Integer targetOf(
      MachineProgress p, Map<String, Integer> byMac, Map<String, Integer> byUuid) {
    Integer target = p.getMac() == null ? null : byMac.get(MacAddress.normalize(p.getMac()));
    if (target == null && p.getUuid() != null) {
      target = byUuid.get(p.getUuid().toLowerCase(Locale.ROOT));
    }
    return target;
  }

  private static MachineFailure failure(MachineProgress p, List<Step> steps) {
    Integer step = p.getStep();
    String stepName =
        step != null && step >= 0 && step < steps.size() ? steps.get(step).getName() : null;
    return new MachineFailure(p.machine(), step, stepName, p.getMessage(), p.getTime());
  }

  /** A time no daemon would write sorts first, so it never hides a real report. */
  private static Instant parse(String time) {
    if (time == null) {
      return Instant.EPOCH;
    }
    try {
      return Instant.parse(time);
    } catch (DateTimeParseException e) {
      return Instant.EPOCH;
    }
  }
}
