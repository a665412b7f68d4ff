package io.osdeploy.daemon.progress;

import io.osdeploy.api.v1alpha1.ProgressReport;
import java.util.Optional;

/** Where a node's progress report for a deployment goes: the deployment's status. */
public interface ProgressWriter {
  /** The deployment (by name and uid) is gone: its reports have nowhere to go. */
  final class DeploymentGone extends Exception {
    public DeploymentGone(String message) {
      super(message);
    }
  }

  /** This node's entry as the deployment's status holds it now, if any. */
  Optional<ProgressReport> read(String namespace, String deployment, String uid, String node)
      throws DeploymentGone;

  /** Replaces this node's entry in the deployment's status. */
  void apply(String namespace, String deployment, String uid, ProgressReport report)
      throws DeploymentGone;
}
