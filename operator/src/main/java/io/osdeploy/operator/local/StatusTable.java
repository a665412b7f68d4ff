package io.osdeploy.operator.local;

import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.Condition;
import io.osdeploy.api.v1alpha1.ConditionType;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OsdeployStatus;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import java.util.ArrayList;
import java.util.List;

/** The status of every osdeploy resource as a text table, like {@code kubectl get osdeploy}. */
public final class StatusTable {
  private static final List<Class<? extends CustomResource<?, ? extends OsdeployStatus>>> KINDS =
      List.of(
          OSImage.class,
          DistributionPoint.class,
          TaskSequenceDeployment.class,
          BootableMedia.class);

  /** One line of the table. */
  public record Row(
      String kind,
      String namespace,
      String name,
      long generation,
      Long observedGeneration,
      String ready,
      String reason,
      String message) {
    /** The operator has reported on the latest generation. */
    public boolean isObserved() {
      return observedGeneration != null && observedGeneration == generation;
    }

    public boolean isReady() {
      return Condition.TRUE.equals(ready)
          && observedGeneration != null
          && observedGeneration == generation;
    }
  }

  private StatusTable() {}

  public static List<Row> read(KubernetesClient client) {
    List<Row> rows = new ArrayList<>();
    for (var kind : KINDS) {
      for (CustomResource<?, ? extends OsdeployStatus> r :
          client.resources(kind).inAnyNamespace().list().getItems()) {
        OsdeployStatus status = r.getStatus();
        Condition ready =
            status == null ? null : status.condition(ConditionType.READY).orElse(null);
        rows.add(
            new Row(
                r.getKind(),
                r.getMetadata().getNamespace(),
                r.getMetadata().getName(),
                r.getMetadata().getGeneration() == null ? 0 : r.getMetadata().getGeneration(),
                status == null ? null : status.getObservedGeneration(),
                ready == null ? "-" : ready.getStatus(),
                ready == null ? "NotObserved" : ready.getReason(),
                ready == null
                    ? "the operator has not reported on this resource"
                    : ready.getMessage()));
      }
    }
    return rows;
  }

  public static String render(List<Row> rows) {
    StringBuilder out = new StringBuilder();
    String format = "%-24s %-16s %-28s %-6s %-22s %s%n";
    out.append(String.format(format, "KIND", "NAMESPACE", "NAME", "READY", "STATE", "MESSAGE"));
    for (Row row : rows) {
      out.append(
          String.format(
              format,
              row.kind(),
              row.namespace(),
              row.name(),
              row.ready(),
              row.reason(),
              row.message()));
    }
    return out.toString();
  }
}
