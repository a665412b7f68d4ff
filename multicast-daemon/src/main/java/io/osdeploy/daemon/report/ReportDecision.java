package io.osdeploy.daemon.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.api.v1alpha1.NodeStatus;

/**
 * Whether a node's entry needs writing: not when it is what was written last (no churn), at once
 * when anything but progress changed, and within the progress interval when only progress moved:
 * the byte counts of a download, or how many machines a multicast session has and waits for (a
 * session's opening, start, repair and end are written at once).
 */
public enum ReportDecision {
  NOTHING_CHANGED,
  WRITE_NOW,
  PROGRESS_ONLY;

  private static final ObjectMapper JSON = new ObjectMapper();

  public static ReportDecision decide(NodeStatus written, NodeStatus desired) {
    if (written == null) {
      return WRITE_NOW;
    }
    if (NodeStatusApply.same(written, desired)) {
      return NOTHING_CHANGED;
    }
    return NodeStatusApply.same(withoutProgress(written), withoutProgress(desired))
        ? PROGRESS_ONLY
        : WRITE_NOW;
  }

  private static NodeStatus withoutProgress(NodeStatus status) {
    NodeStatus copy = JSON.convertValue(status, NodeStatus.class);
    for (ImageState image :
        java.util.stream.Stream.concat(
                copy.getImages().stream(), copy.getBootEnvironment().stream())
            .toList()) {
      if (image.getState() == ImageState.Phase.Downloading) {
        image.setBytes(null);
        image.setTotalBytes(null);
      }
    }
    for (io.osdeploy.api.v1alpha1.MulticastSessionState session : copy.getMulticastSessions()) {
      session.setMachines(null);
      session.setWaitingFor(null);
    }
    return copy;
  }
}
