package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import java.util.ArrayList;
import java.util.List;

@SchemaCustomizer(value = ListIsMap.class, input = "nodes:name")
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class DistributionPointStatus extends OsdeployStatus {
  @JsonPropertyDescription("Each node's report, written by the daemon on that node.")
  private List<NodeStatus> nodes = new ArrayList<>();

  @JsonPropertyDescription("Nodes the daemon should run on, from the DaemonSet.")
  private Integer desiredNodes;

  @JsonPropertyDescription("Nodes whose daemon is ready, from the DaemonSet.")
  private Integer readyNodes;

  public List<NodeStatus> getNodes() {
    return nodes;
  }

  public void setNodes(List<NodeStatus> nodes) {
    this.nodes = nodes == null ? new ArrayList<>() : nodes;
  }

  public Integer getDesiredNodes() {
    return desiredNodes;
  }

  public void setDesiredNodes(Integer desiredNodes) {
    this.desiredNodes = desiredNodes;
  }

  public Integer getReadyNodes() {
    return readyNodes;
  }

  public void setReadyNodes(Integer readyNodes) {
    this.readyNodes = readyNodes;
  }
}
