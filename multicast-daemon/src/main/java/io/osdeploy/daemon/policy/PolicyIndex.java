package io.osdeploy.daemon.policy;

import io.osdeploy.api.v1alpha1.MacAddress;
import io.osdeploy.api.v1alpha1.Target;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec.Availability;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which deployments a machine may run, by the rules of availability and target collections, indexed
 * by MAC address and SMBIOS UUID so that a lookup costs the same with 1,000 deployments and 5,000
 * machines as with one. Immutable: a change builds a new index.
 *
 * <p>The rules:
 *
 * <ul>
 *   <li>A machine in a deployment's target collection (by MAC or UUID) is offered that deployment;
 *       a machine that no deployment knows is offered the deployments that target unknown
 *       computers. A known machine is never offered a deployment for unknown computers.
 *   <li>{@code ClientsMediaAndPxe}: offered to clients, media and PXE. {@code MediaAndPxe}: to
 *       media and PXE only. {@code MediaAndPxeHidden}: to media and PXE only, and only when the
 *       request names the deployment.
 *   <li>A request that names a deployment gets that one or nothing.
 * </ul>
 */
public final class PolicyIndex {
  /**
   * A deployment offered to a machine, and the entry of its target collection that names the
   * machine: the first by MAC or UUID, or null when the deployment is offered to it as an unknown
   * computer.
   */
  public record Offer(TaskSequenceDeployment deployment, Target.Machine machine) {}

  /**
   * A deployment's first target entry with a given MAC or UUID, and where it stands in the list.
   */
  private record Entry(TaskSequenceDeployment deployment, int position, Target.Machine machine) {}

  private final Map<String, List<Entry>> byMac = new HashMap<>();
  private final Map<String, List<Entry>> byUuid = new HashMap<>();
  private final List<Offer> forUnknown = new ArrayList<>();

  private PolicyIndex() {}

  public static PolicyIndex of(Collection<TaskSequenceDeployment> deployments) {
    PolicyIndex index = new PolicyIndex();
    List<TaskSequenceDeployment> sorted =
        deployments.stream().sorted(Comparator.comparing(d -> d.getMetadata().getName())).toList();
    for (TaskSequenceDeployment d : sorted) {
      Target target = d.getSpec().getTarget();
      if (target == null) {
        continue;
      }
      List<Target.Machine> machines =
          target.getMachines() == null ? List.of() : target.getMachines();
      for (int i = 0; i < machines.size(); i++) {
        Target.Machine m = machines.get(i);
        if (m.getMac() != null) {
          addFirst(index.byMac, MacAddress.parse(m.getMac(), "mac"), new Entry(d, i, m));
        }
        if (m.getSmbiosUuid() != null) {
          addFirst(index.byUuid, m.getSmbiosUuid().toLowerCase(Locale.ROOT), new Entry(d, i, m));
        }
      }
      if (Boolean.TRUE.equals(target.getUnknownComputers())) {
        index.forUnknown.add(new Offer(d, null));
      }
    }
    return index;
  }

  /** Adds the entry unless its deployment already has one under that key. */
  private static void addFirst(Map<String, List<Entry>> map, String key, Entry entry) {
    List<Entry> entries = map.computeIfAbsent(key, k -> new ArrayList<>());
    // Deployments are added one after another, so an earlier entry of this one is the last.
    if (entries.isEmpty() || entries.get(entries.size() - 1).deployment() != entry.deployment()) {
      entries.add(entry);
    }
  }

  /** The deployments offered to this request, in name order. */
  public List<TaskSequenceDeployment> offered(PolicyRequest request) {
    return offers(request).stream().map(Offer::deployment).toList();
  }

  /**
   * The deployments offered to this request with the target entry naming the machine, in name
   * order.
   */
  public List<Offer> offers(PolicyRequest request) {
    Map<TaskSequenceDeployment, Entry> known = new LinkedHashMap<>();
    if (request.mac() != null) {
      addEarliest(known, byMac.getOrDefault(request.mac(), List.of()));
    }
    if (request.uuid() != null) {
      addEarliest(known, byUuid.getOrDefault(request.uuid(), List.of()));
    }
    Collection<Offer> candidates =
        known.isEmpty()
            ? forUnknown
            : known.values().stream().map(e -> new Offer(e.deployment(), e.machine())).toList();
    List<Offer> offers = new ArrayList<>();
    for (Offer o : candidates) {
      TaskSequenceDeployment d = o.deployment();
      if (request.deployment() != null && !request.deployment().equals(d.getMetadata().getName())) {
        continue;
      }
      if (availableTo(d.getSpec().getAvailability(), request)) {
        offers.add(o);
      }
    }
    offers.sort(Comparator.comparing(o -> o.deployment().getMetadata().getName()));
    return offers;
  }

  /** Where MAC and UUID name different entries of one deployment, the one listed first counts. */
  private static void addEarliest(Map<TaskSequenceDeployment, Entry> known, List<Entry> entries) {
    for (Entry e : entries) {
      known.merge(e.deployment(), e, (a, b) -> a.position() <= b.position() ? a : b);
    }
  }

  static boolean availableTo(Availability availability, PolicyRequest request) {
    return switch (availability) {
      case ClientsMediaAndPxe -> true;
      case MediaAndPxe -> request.source() != PolicyRequest.Source.CLIENT;
      case MediaAndPxeHidden ->
          request.source() != PolicyRequest.Source.CLIENT && request.deployment() != null;
    };
  }
}
