package io.osdeploy.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.osdeploy.operator.media.MediaStore;
import io.osdeploy.operator.reconciler.BootableMediaReconciler;
import io.osdeploy.operator.reconciler.DistributionPointReconciler;
import io.osdeploy.operator.reconciler.OSImageReconciler;
import io.osdeploy.operator.reconciler.TaskSequenceDeploymentReconciler;
import io.osdeploy.operator.status.StatusAggregator;
import java.util.List;

/** The operator: the four reconcilers on one JOSDK {@link Operator}. */
public final class OsdeployOperator {
  private OsdeployOperator() {}

  /** One instance of each reconciler, sharing one status aggregator. */
  public static List<Reconciler<?>> reconcilers(MediaStore media) {
    StatusAggregator aggregator = new StatusAggregator();
    return List.of(
        new OSImageReconciler(aggregator),
        new DistributionPointReconciler(aggregator),
        new TaskSequenceDeploymentReconciler(aggregator),
        new BootableMediaReconciler(aggregator, media));
  }

  public static Operator create(KubernetesClient client, MediaStore media) {
    Operator operator =
        new Operator(
            o -> o.withKubernetesClient(client).withStopOnInformerErrorDuringStartup(true));
    reconcilers(media).forEach(operator::register);
    return operator;
  }
}
