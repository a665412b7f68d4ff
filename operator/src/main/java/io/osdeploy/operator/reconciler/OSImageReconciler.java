package io.osdeploy.operator.reconciler;

import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OSImageStatus;
import io.osdeploy.operator.content.ImageAssignment;
import io.osdeploy.operator.status.Assessment;
import io.osdeploy.operator.status.ContentReadiness;
import io.osdeploy.operator.status.StatusAggregator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * An OS image is content that distribution points pull; its status says how many distribution
 * points are to hold it and on which every node holds it verified.
 */
@ControllerConfiguration(name = "osimage")
public class OSImageReconciler extends StatusReportingReconciler<OSImage, OSImageStatus> {
  public OSImageReconciler(StatusAggregator aggregator) {
    super(aggregator, OSImageStatus::new);
  }

  @Override
  public List<EventSource<?, OSImage>> prepareEventSources(EventSourceContext<OSImage> context) {
    var dps =
        InformerEventSourceConfiguration.from(DistributionPoint.class, OSImage.class)
            .withSecondaryToPrimaryMapper(
                (DistributionPoint dp) ->
                    context
                        .getPrimaryCache()
                        .list(dp.getMetadata().getNamespace())
                        .filter(image -> ImageAssignment.holds(dp, image) || wasNamed(dp, image))
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
            .withNamespacesInheritedFromController()
            .build();
    return List.of(new InformerEventSource<>(dps, context));
  }

  /** A distribution point that stops holding an image must still wake it, to update its count. */
  private static boolean wasNamed(DistributionPoint dp, OSImage image) {
    return dp.getStatus() != null
        && dp.getStatus().getNodes().stream()
            .anyMatch(
                n ->
                    n.getImages().stream()
                        .anyMatch(s -> image.getMetadata().getName().equals(s.getName())));
  }

  @Override
  protected Assessment assess(OSImage image, OSImageStatus next, Context<OSImage> context) {
    @SuppressWarnings("unchecked")
    InformerEventSource<DistributionPoint, OSImage> dps =
        (InformerEventSource<DistributionPoint, OSImage>)
            context.eventSourceRetriever().getEventSourceFor(DistributionPoint.class);
    List<DistributionPoint> targeting =
        dps.list(image.getMetadata().getNamespace())
            .filter(dp -> ImageAssignment.holds(dp, image))
            .sorted(java.util.Comparator.comparing(dp -> dp.getMetadata().getName()))
            .toList();
    List<String> verifiedOn =
        targeting.stream()
            .filter(dp -> ContentReadiness.verifiedEverywhere(dp, image))
            .map(dp -> dp.getMetadata().getName())
            .toList();
    next.setTargetedBy(targeting.size());
    next.setVerifiedOn(verifiedOn);
    return ContentReadiness.image(image, targeting, verifiedOn);
  }
}
