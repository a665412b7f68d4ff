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
import java.time.Duration;
import java.util.List;

/** The operator: the four reconcilers on one JOSDK {@link Operator}. */
public final class OsdeployOperator {
  /** The leader-election Lease of the operator's replicas. */
  public static final String LEASE_NAME = LeaderLease.NAME;

  /**
   * How long a stop waits for the reconciles under way to finish (a media build takes well under a
   * second), within the 30 s a pod is given between SIGTERM and SIGKILL.
   */
  static final Duration RECONCILES_FINISH_ON_STOP = Duration.ofSeconds(10);

  private OsdeployOperator() {}

  /** The pod's name where there is one, made unique so two processes never share it. */
  public static String identity() {
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
    return create(client, media, null);
  }

  /**
   * The operator, not started. The caller owns {@code client} and closes it after {@link
   * Operator#stop()}: a replica gives its Lease up with it once the operator has stopped.
   *
   * @param election leader election of several replicas; null for none (a local run)
   */
  public static Operator create(
      KubernetesClient client, MediaStore media, LeaderElectionConfiguration election) {
    Operator operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withStopOnInformerErrorDuringStartup(true)
                  .withCloseClientOnStop(false)
                  .withReconciliationTerminationTimeout(RECONCILES_FINISH_ON_STOP);
              if (election != null) {
                o.withLeaderElectionConfiguration(election);
              }
            });
    reconcilers(media).forEach(operator::register);
    return operator;
  }
}
