package io.osdeploy.daemon.report;

import io.osdeploy.api.v1alpha1.NodeStatus;
import java.util.Optional;

/** Reads and writes this node's entry of a DistributionPoint's status. */
public interface NodeStatusWriter {
  /** The entry as the API server holds it now; empty when there is none. */
  Optional<NodeStatus> read(String namespace, String distributionPoint, String node);

  /** Applies the entry of {@code report}. */
  void apply(NodeReport report);
}
