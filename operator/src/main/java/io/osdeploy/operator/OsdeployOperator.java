package io.osdeploy.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
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
  /** The leader-election Lease of the operator's replicas. */
  public static final String LEASE_NAME = "osdeploy-operator";

  private OsdeployOperator() {}

  /** The pod's name where there is one, made unique so two processes never share it. */
  static String identity() {
    String pod = System.getenv("POD_NAME");
    String base = pod != null && !pod.isBlank() ? pod : "osdeploy-operator";
    return base + "-" + java.util.UUID.randomUUID().toString().substring(0, 8);
  }

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
    return create(client, media, (LeaderElectionConfiguration) null);
  }

  /**
   * @param leaseNamespace where the leader-election Lease lives, so that only one of several
   *     replicas reconciles; null to run without leader election (a local run)
   */
  public static Operator create(KubernetesClient client, MediaStore media, String leaseNamespace) {
    return create(
        client,
        media,
        leaseNamespace == null
            ? null
            : new LeaderElectionConfiguration(LEASE_NAME, leaseNamespace, identity()));
  }

  /**
   * @param election leader election of several replicas (a replica that loses the lead exits, so
   *     two never reconcile at once); null for none
   */
  public static Operator create(
      KubernetesClient client, MediaStore media, LeaderElectionConfiguration election) {
    Operator operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client).withStopOnInformerErrorDuringStartup(true);
              if (election != null) {
                o.withLeaderElectionConfiguration(election);
              }
            });
    reconcilers(media).forEach(operator::register);
    return operator;
  }
}
