package io.osdeploy.daemon.policy;

import io.osdeploy.api.v1alpha1.MachineProgress;
import io.osdeploy.api.v1alpha1.OsdeployApi;
import io.osdeploy.api.v1alpha1.ProgressReport;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which machines have succeeded which deployment, from the deployments' {@code status.reports}
 * (every node's) and this node's own latest reports, which reach the status a few seconds later. A
 * success counts until the deployment's {@value OsdeployApi#REIMAGE_AFTER_ANNOTATION} annotation
 * names a later time: that is how a site images its machines again on purpose.
 */
public final class Completions {
  public static final Completions NONE = new Completions(Map.of(), Map.of());

  /** Machine key ("mac:..." or "uuid:...") to when it succeeded, per deployment name. */
  private final Map<String, Map<String, Instant>> succeeded;

  private final Map<String, Instant> reimageAfter;

  private Completions(
      Map<String, Map<String, Instant>> succeeded, Map<String, Instant> reimageAfter) {
    this.succeeded = succeeded;
    this.reimageAfter = reimageAfter;
  }

  /** Reads the successes in the deployments' status and their re-image annotations. */
  public static Completions of(Collection<TaskSequenceDeployment> deployments) {
    Map<String, Map<String, Instant>> succeeded = new HashMap<>();
    Map<String, Instant> reimageAfter = new HashMap<>();
    for (TaskSequenceDeployment d : deployments) {
      String name = d.getMetadata().getName();
      Map<String, String> annotations = d.getMetadata().getAnnotations();
      Instant after =
          annotations == null ? null : time(annotations.get(OsdeployApi.REIMAGE_AFTER_ANNOTATION));
      if (after != null) {
        reimageAfter.put(name, after);
      }
      List<ProgressReport> reports = d.getStatus() == null ? null : d.getStatus().getReports();
      if (reports == null) {
        continue;
      }
      Map<String, Instant> machines = new HashMap<>();
      for (ProgressReport report : reports) {
        add(machines, report.getMachines());
      }
      if (!machines.isEmpty()) {
        succeeded.put(name, Map.copyOf(machines));
      }
    }
    return new Completions(Map.copyOf(succeeded), Map.copyOf(reimageAfter));
  }

  /** These completions with this node's latest reports of {@code deployment} added. */
  public Completions with(String deployment, Collection<MachineProgress> local) {
    Map<String, Instant> machines = new HashMap<>(succeeded.getOrDefault(deployment, Map.of()));
    add(machines, local);
    Map<String, Map<String, Instant>> all = new HashMap<>(succeeded);
    all.put(deployment, Map.copyOf(machines));
    return new Completions(Map.copyOf(all), reimageAfter);
  }

  /**
   * Whether the machine (by MAC or UUID, either may be null) has succeeded {@code deployment} since
   * the deployment last asked for its machines to be imaged again; when it did, the time.
   */
  public Instant succeeded(String deployment, String mac, String uuid) {
    Map<String, Instant> machines = succeeded.get(deployment);
    if (machines == null) {
      return null;
    }
    Instant at = null;
    if (mac != null) {
      at = machines.get("mac:" + mac.toLowerCase(Locale.ROOT));
    }
    if (at == null && uuid != null) {
      at = machines.get("uuid:" + uuid.toLowerCase(Locale.ROOT));
    }
    Instant after = reimageAfter.get(deployment);
    return at == null || (after != null && !at.isAfter(after)) ? null : at;
  }

  private static void add(Map<String, Instant> machines, Collection<MachineProgress> reports) {
    if (reports == null) {
      return;
    }
    for (MachineProgress p : reports) {
      Instant at = time(p.getTime());
      if (p.getState() != MachineProgress.State.Succeeded || at == null) {
        continue;
      }
      if (p.getMac() != null) {
        machines.merge("mac:" + p.getMac().toLowerCase(Locale.ROOT), at, Completions::later);
      }
      if (p.getUuid() != null) {
        machines.merge("uuid:" + p.getUuid().toLowerCase(Locale.ROOT), at, Completions::later);
      }
    }
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private static Instant time(String text) {
    if (text == null || text.isBlank()) {
      return null;
    }
    try {
      return Instant.parse(text.strip());
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
