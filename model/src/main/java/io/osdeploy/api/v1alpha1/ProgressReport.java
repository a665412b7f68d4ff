package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Required;
import java.util.ArrayList;
import java.util.List;

/**
 * One distribution point node's entry in a deployment's {@code status.reports}: the machines whose
 * agents reported to the daemon on that node, each at its latest report. Written only by that
 * node's daemon (server-side apply, field manager {@code osdeploy-daemon/<node>}); the operator
 * rolls all entries up into {@code status.machines}.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@SchemaCustomizer(
    value = Describe.class,
    input =
        "self: One distribution point node's entry: the machines whose agents reported to"
            + " the daemon on that node, each at its latest report. Written only by that node's"
            + " daemon.")
public class ProgressReport {
  @Required
  @JsonPropertyDescription("Kubernetes node name of the daemon that received these reports.")
  private String node;

  @JsonPropertyDescription("Each machine's latest report to this node.")
  private List<MachineProgress> machines = new ArrayList<>();

  @JsonPropertyDescription("Images that captureImage steps uploaded to this node.")
  private List<ImageCapture> captures = new ArrayList<>();

  public ProgressReport() {}

  public ProgressReport(String node, List<MachineProgress> machines) {
    this.node = node;
    setMachines(machines);
  }

  public String getNode() {
    return node;
  }

  public void setNode(String node) {
    this.node = node;
  }

  public List<ImageCapture> getCaptures() {
    return captures;
  }

  public void setCaptures(List<ImageCapture> captures) {
    this.captures = captures == null ? new ArrayList<>() : new ArrayList<>(captures);
  }

  public List<MachineProgress> getMachines() {
    return machines;
  }

  public void setMachines(List<MachineProgress> machines) {
    this.machines = machines == null ? new ArrayList<>() : new ArrayList<>(machines);
  }
}
