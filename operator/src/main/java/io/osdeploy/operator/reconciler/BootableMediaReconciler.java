package io.osdeploy.operator.reconciler;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.BootableMediaStatus;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.operator.status.Assessment;
import io.osdeploy.operator.status.StatusAggregator;
import java.util.List;
import java.util.Optional;

/** Resolves the deployment a bootable media pins. */
@ControllerConfiguration(name = "bootablemedia")
public class BootableMediaReconciler
    extends StatusReportingReconciler<BootableMedia, BootableMediaStatus> {
  public BootableMediaReconciler(StatusAggregator aggregator) {
    super(aggregator, BootableMediaStatus::new);
  }

  @Override
  public List<EventSource<?, BootableMedia>> prepareEventSources(
      EventSourceContext<BootableMedia> context) {
    return List.of(
        References.watchReferenced(
            context,
            TaskSequenceDeployment.class,
            BootableMedia.class,
            BootableMediaReconciler::deployments));
  }

  @Override
  protected Assessment assess(
      BootableMedia media, BootableMediaStatus next, Context<BootableMedia> context) {
    String ns = media.getMetadata().getNamespace();
    String name = media.getSpec().getDeployment();
    if (name == null) {
      return Assessment.ready("Accepted", "spec is valid; media offers any available deployment");
    }
    Optional<TaskSequenceDeployment> deployment =
        References.lookup(context, TaskSequenceDeployment.class, ns, name);
    if (deployment.isEmpty()) {
      return Assessment.reconciling(
          "WaitingForReferences",
          "not found: spec.deployment: TaskSequenceDeployment " + ns + "/" + name);
    }
    return Assessment.ready(
        "Accepted", "spec is valid; media pins TaskSequenceDeployment " + ns + "/" + name);
  }

  static List<String> deployments(BootableMedia media) {
    return media.getSpec() == null || media.getSpec().getDeployment() == null
        ? List.of()
        : List.of(media.getSpec().getDeployment());
  }
}
