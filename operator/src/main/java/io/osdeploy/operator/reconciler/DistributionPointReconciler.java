package io.osdeploy.operator.reconciler;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.DistributionPointStatus;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.operator.status.Assessment;
import io.osdeploy.operator.status.StatusAggregator;
import java.util.ArrayList;
import java.util.List;

/** Resolves the OS images a distribution point is to hold. */
@ControllerConfiguration(name = "distributionpoint")
public class DistributionPointReconciler
    extends StatusReportingReconciler<DistributionPoint, DistributionPointStatus> {
  public DistributionPointReconciler(StatusAggregator aggregator) {
    super(aggregator, DistributionPointStatus::new);
  }

  @Override
  public List<EventSource<?, DistributionPoint>> prepareEventSources(
      EventSourceContext<DistributionPoint> context) {
    return List.of(
        References.watchReferenced(
            context, OSImage.class, DistributionPoint.class, DistributionPointReconciler::images));
  }

  @Override
  protected Assessment assess(DistributionPoint dp, Context<DistributionPoint> context) {
    String ns = dp.getMetadata().getNamespace();
    List<String> missing = new ArrayList<>();
    List<String> names = images(dp);
    for (int i = 0; i < names.size(); i++) {
      if (References.lookup(context, OSImage.class, ns, names.get(i)).isEmpty()) {
        missing.add("spec.osImages.names[" + i + "]: OSImage " + ns + "/" + names.get(i));
      }
    }
    if (!missing.isEmpty()) {
      return Assessment.reconciling(
          "WaitingForReferences", "not found: " + String.join("; ", missing));
    }
    return Assessment.ready("Accepted", "spec is valid and every named OS image exists");
  }

  static List<String> images(DistributionPoint dp) {
    if (dp.getSpec() == null
        || dp.getSpec().getOsImages() == null
        || dp.getSpec().getOsImages().getNames() == null) {
      return List.of();
    }
    return dp.getSpec().getOsImages().getNames();
  }
}
