package io.osdeploy.operator.reconciler;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.config.DaemonConfig;
import io.osdeploy.operator.content.DaemonConfigs;
import io.osdeploy.operator.content.ImageAssignment;
import java.util.List;

/** What one reconcile of a distribution point computes once and its dependents share. */
public final class DistributionPointContext {
  private static final String CONFIG = "osdeploy.daemonConfig";

  private DistributionPointContext() {}

  /** The OS images assigned to {@code dp}, from the informer cache. */
  static List<OSImage> assignedImages(DistributionPoint dp, Context<DistributionPoint> context) {
    @SuppressWarnings("unchecked")
    InformerEventSource<OSImage, DistributionPoint> images =
        (InformerEventSource<OSImage, DistributionPoint>)
            context.eventSourceRetriever().getEventSourceFor(OSImage.class);
    return ImageAssignment.assigned(dp, images.list(dp.getMetadata().getNamespace()).toList());
  }

  /** The daemon configuration for this reconcile, computed on first use. */
  public static DaemonConfig config(DistributionPoint dp, Context<DistributionPoint> context) {
    var shared = context.managedWorkflowAndDependentResourceContext();
    return shared
        .get(CONFIG, DaemonConfig.class)
        .orElseGet(
            () -> {
              DaemonConfig config = DaemonConfigs.build(dp, assignedImages(dp, context));
              shared.put(CONFIG, config);
              return config;
            });
  }
}
