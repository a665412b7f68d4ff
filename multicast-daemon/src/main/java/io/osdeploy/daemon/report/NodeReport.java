package io.osdeploy.daemon.report;

import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.api.v1alpha1.NodeStatus;
import java.util.List;

/**
 * What this node reports, and where: its entry of the DistributionPoint {@code
 * namespace/distributionPoint}'s {@code status.nodes}.
 */
public record NodeReport(String namespace, String distributionPoint, NodeStatus node) {
  /** The node's entry from its parts. */
  public static NodeStatus nodeStatus(
      String node,
      String daemonVersion,
      String endpoint,
      long configGeneration,
      List<ImageState> images) {
    NodeStatus status = new NodeStatus();
    status.setName(node);
    status.setDaemonVersion(daemonVersion);
    status.setEndpoint(endpoint);
    status.setConfigGeneration(configGeneration);
    status.setImages(List.copyOf(images));
    return status;
  }

  /** {@code namespace/name} of the DistributionPoint, as log lines name it. */
  public String key() {
    return namespace + "/" + distributionPoint;
  }
}
