package io.osdeploy.operator.reconciler;

import io.fabric8.kubernetes.client.CustomResource;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.osdeploy.api.v1alpha1.OsdeployStatus;
import io.osdeploy.operator.status.Assessment;
import io.osdeploy.operator.status.StatusAggregator;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shared shape of the four reconcilers: assess the resource, then report the assessment through the
 * status, patching it only when it changed.
 */
abstract class StatusReportingReconciler<R extends CustomResource<?, S>, S extends OsdeployStatus>
    implements Reconciler<R> {
  /** Resources still waiting are looked at again even if no event arrives. */
  static final Duration RECHECK_WAITING = Duration.ofSeconds(60);

  private static final Logger log = LoggerFactory.getLogger(StatusReportingReconciler.class);

  private final StatusAggregator aggregator;
  private final Supplier<S> emptyStatus;

  StatusReportingReconciler(StatusAggregator aggregator, Supplier<S> emptyStatus) {
    this.aggregator = aggregator;
    this.emptyStatus = emptyStatus;
  }

  /** Looks at the resource and what it refers to, and says how it stands. */
  protected abstract Assessment assess(R resource, Context<R> context);

  @Override
  public UpdateControl<R> reconcile(R resource, Context<R> context) {
    Assessment assessment = assess(resource, context);
    UpdateControl<R> control = report(resource, assessment);
    return assessment.state() == Assessment.State.RECONCILING
        ? control.rescheduleAfter(RECHECK_WAITING)
        : control;
  }

  @Override
  public ErrorStatusUpdateControl<R> updateErrorStatus(
      R resource, Context<R> context, Exception e) {
    log.warn("{}: reconcile failed, will retry", key(resource), e);
    Assessment failed =
        Assessment.reconciling(
            "ReconcileError", "reconcile failed and will be retried: " + e.getMessage());
    return changeStatus(resource, failed)
        ? ErrorStatusUpdateControl.patchStatus(resource)
        : ErrorStatusUpdateControl.noStatusUpdate();
  }

  private UpdateControl<R> report(R resource, Assessment assessment) {
    if (!changeStatus(resource, assessment)) {
      return UpdateControl.noUpdate();
    }
    log.info(
        "{}: {} {} ({})",
        key(resource),
        assessment.state(),
        assessment.reason(),
        assessment.message());
    return UpdateControl.patchStatus(resource);
  }

  /** Sets the new status on the resource; false when it equals the one already there. */
  private boolean changeStatus(R resource, Assessment assessment) {
    S status = resource.getStatus() == null ? emptyStatus.get() : resource.getStatus();
    OsdeployStatus before = new OsdeployStatus();
    before.setObservedGeneration(status.getObservedGeneration());
    before.getConditions().addAll(status.getConditions());
    long generation =
        resource.getMetadata().getGeneration() == null ? 0 : resource.getMetadata().getGeneration();
    aggregator.aggregate(before, status, generation, assessment);
    resource.setStatus(status);
    return !StatusAggregator.sameConditions(before, status);
  }

  static String key(CustomResource<?, ?> resource) {
    return resource.getMetadata().getNamespace() + "/" + resource.getMetadata().getName();
  }
}
