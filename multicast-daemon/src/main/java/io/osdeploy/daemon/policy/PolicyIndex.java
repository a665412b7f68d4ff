package io.osdeploy.daemon.policy;

import io.osdeploy.api.v1alpha1.Target;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec.Availability;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

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
  private final Map<String, List<TaskSequenceDeployment>> byMac = new HashMap<>();
  private final Map<String, List<TaskSequenceDeployment>> byUuid = new HashMap<>();
  private final List<TaskSequenceDeployment> forUnknown = new ArrayList<>();

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
      if (target.getMachines() != null) {
        for (Target.Machine m : target.getMachines()) {
          if (m.getMac() != null) {
            index
                .byMac
                .computeIfAbsent(PolicyRequest.normalizeMac(m.getMac()), k -> new ArrayList<>())
                .add(d);
          }
          if (m.getSmbiosUuid() != null) {
            index
                .byUuid
                .computeIfAbsent(m.getSmbiosUuid().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                .add(d);
          }
        }
      }
      if (Boolean.TRUE.equals(target.getUnknownComputers())) {
        index.forUnknown.add(d);
      }
    }
    return index;
  }

  /** The deployments offered to this request, in name order. */
  public List<TaskSequenceDeployment> offered(PolicyRequest request) {
    Set<TaskSequenceDeployment> known = new LinkedHashSet<>();
    if (request.mac() != null) {
      known.addAll(byMac.getOrDefault(request.mac(), List.of()));
    }
    if (request.uuid() != null) {
      known.addAll(byUuid.getOrDefault(request.uuid(), List.of()));
    }
    Collection<TaskSequenceDeployment> candidates = known.isEmpty() ? forUnknown : known;
    List<TaskSequenceDeployment> offered = new ArrayList<>();
    for (TaskSequenceDeployment d : candidates) {
      if (request.deployment() != null && !request.deployment().equals(d.getMetadata().getName())) {
        continue;
      }
      if (availableTo(d.getSpec().getAvailability(), request)) {
        offered.add(d);
      }
    }
    offered.sort(Comparator.comparing(d -> d.getMetadata().getName()));
    return offered;
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
