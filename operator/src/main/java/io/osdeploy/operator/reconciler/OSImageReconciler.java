package io.osdeploy.operator.reconciler;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OSImageStatus;
import io.osdeploy.operator.status.Assessment;
import io.osdeploy.operator.status.StatusAggregator;

/** An OSImage is content that distribution points pull; by itself it needs no objects. */
@ControllerConfiguration(name = "osimage")
public class OSImageReconciler extends StatusReportingReconciler<OSImage, OSImageStatus> {
  public OSImageReconciler(StatusAggregator aggregator) {
    super(aggregator, OSImageStatus::new);
  }

  @Override
  protected Assessment assess(OSImage image, Context<OSImage> context) {
    return Assessment.ready("Accepted", "spec is valid");
  }
}
