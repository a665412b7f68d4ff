package io.osdeploy.operator.reconciler;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.osdeploy.api.v1alpha1.OsdeployStatus;
import io.osdeploy.operator.status.Assessment;
import io.osdeploy.operator.status.ResourceEvents;
import io.osdeploy.operator.status.StatusAggregator;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shared shape of the four reconcilers: assess the resource (filling in the status fields the
 * operator owns), then report through the conditions, patching the status only when the part the
 * operator owns changed. Parts others write (a daemon's node entries) are never sent.
 */
abstract class StatusReportingReconciler<R extends CustomResource<?, S>, S extends OsdeployStatus>
    implements Reconciler<R> {
  /** Resources still waiting are looked at again even if no event arrives. */
  static final Duration RECHECK_WAITING = Duration.ofSeconds(60);

  private static final Logger log = LoggerFactory.getLogger(StatusReportingReconciler.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final StatusAggregator aggregator;
  private final Supplier<S> emptyStatus;
  private final Class<S> statusType;

  @SuppressWarnings("unchecked")
  StatusReportingReconciler(StatusAggregator aggregator, Supplier<S> emptyStatus) {
    this.aggregator = aggregator;
    this.emptyStatus = emptyStatus;
    this.statusType = (Class<S>) emptyStatus.get().getClass();
  }

  /**
   * Looks at the resource and what it refers to, sets the kind's own status fields on {@code next},
   * and says how the resource stands.
   */
  protected abstract Assessment assess(R resource, S next, Context<R> context);

  /** Clears in {@code status} the fields that others than the operator write. */
  protected void clearForeignFields(S status) {}

  /**
   * Records the kind's own events for what changed from {@code current} (as last written) to {@code
   * next} (about to be written); the Ready transitions are recorded for every kind.
   */
  protected void recordTransitions(R resource, S current, S next, Context<R> context) {}

  @Override
  public UpdateControl<R> reconcile(R resource, Context<R> context) {
    S current = resource.getStatus() == null ? emptyStatus.get() : resource.getStatus();
    S next = ownedCopy(current);
    Assessment assessment = assess(resource, next, context);
    String before = readiness(current);
    UpdateControl<R> control = report(resource, current, next, assessment);
    if (!control.isNoUpdate()) {
      if (!readiness(next).equals(before)) {
        recordEvent(
            context,
            resource,
            assessment.state() == Assessment.State.STALLED
                ? ResourceEvents.WARNING
                : ResourceEvents.NORMAL,
            assessment.reason(),
            assessment.message());
      }
      recordTransitions(resource, current, next, context);
    }
    return assessment.state() == Assessment.State.RECONCILING
        ? control.rescheduleAfter(recheckAfter(assessment))
        : control;
  }

  /** How soon to look again at a resource that is still reconciling. */
  protected Duration recheckAfter(Assessment assessment) {
    return RECHECK_WAITING;
  }

  @Override
  public ErrorStatusUpdateControl<R> updateErrorStatus(
      R resource, Context<R> context, Exception e) {
    if (lostARace(e)) {
      // Someone else wrote the resource after it was read. The event of that write brings the
      // newer version and the status is written again from it; a status write now would carry
      // the same stale version and fail the same way. Nothing failed, so nothing is reported.
      log.info(
          "{}: the resource changed while it was reconciled; reconciling again", key(resource));
      return ErrorStatusUpdateControl.noStatusUpdate();
    }
    log.warn("{}: reconcile failed, will retry", key(resource), e);
    S current = resource.getStatus() == null ? emptyStatus.get() : resource.getStatus();
    S next = ownedCopy(current);
    Assessment failed =
        Assessment.reconciling(
            "ReconcileError", "reconcile failed and will be retried: " + e.getMessage());
    return setIfChanged(resource, current, next, failed)
        ? ErrorStatusUpdateControl.patchStatus(statusPatch(resource, next))
        : ErrorStatusUpdateControl.noStatusUpdate();
  }

  /** Records an Event about {@code resource} (see {@link ResourceEvents}). */
  protected void recordEvent(
      Context<R> context, R resource, String type, String reason, String message) {
    ResourceEvents.record(context.getClient(), resource, type, reason, message);
  }

  /** The Ready condition's status and reason: what a transition changes. */
  private static String readiness(OsdeployStatus status) {
    return status.getConditions().stream()
        .filter(c -> "Ready".equals(c.getType()))
        .map(c -> c.getStatus() + " " + c.getReason())
        .findFirst()
        .orElse("");
  }

  /** Whether {@code e} is the API server refusing a write for its stale resourceVersion. */
  static boolean lostARace(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof KubernetesClientException k
          && k.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        return true;
      }
    }
    return false;
  }

  private UpdateControl<R> report(R resource, S current, S next, Assessment assessment) {
    if (!setIfChanged(resource, current, next, assessment)) {
      return UpdateControl.noUpdate();
    }
    log.info(
        "{}: {} {} ({})",
        key(resource),
        assessment.state(),
        assessment.reason(),
        assessment.message());
    return UpdateControl.patchStatus(statusPatch(resource, next));
  }

  private boolean setIfChanged(R resource, S current, S next, Assessment assessment) {
    long generation =
        resource.getMetadata().getGeneration() == null ? 0 : resource.getMetadata().getGeneration();
    aggregator.aggregate(current, next, generation, assessment);
    return !JSON.valueToTree(ownedCopy(current)).equals(JSON.valueToTree(next));
  }

  /**
   * What the status patch sends: the resource's name and namespace and the status the operator
   * owns, nothing else. Without a resourceVersion the server-side apply is not conditional: a
   * reconcile that started from a cache one event behind (a node has just reported, or the last
   * status patch is not back through the watch yet) writes its status instead of failing with 409
   * Conflict and being run again, and the event that made the cache stale brings the next
   * reconcile, which writes from the newer view.
   */
  R statusPatch(R resource, S status) {
    R patch;
    try {
      @SuppressWarnings("unchecked")
      R fresh = (R) resource.getClass().getDeclaredConstructor().newInstance();
      patch = fresh;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("a custom resource has a no-argument constructor", e);
    }
    patch.getMetadata().setName(resource.getMetadata().getName());
    patch.getMetadata().setNamespace(resource.getMetadata().getNamespace());
    patch.setStatus(status);
    return patch;
  }

  private S ownedCopy(S status) {
    S copy = JSON.convertValue(status, statusType);
    clearForeignFields(copy);
    return copy;
  }

  static String key(CustomResource<?, ?> resource) {
    return resource.getMetadata().getNamespace() + "/" + resource.getMetadata().getName();
  }
}
