package io.osdeploy.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.osdeploy.operator.media.MediaStore;
import io.osdeploy.operator.metrics.OperatorMetrics;
import io.osdeploy.operator.reconciler.BootableMediaReconciler;
import io.osdeploy.operator.reconciler.DistributionPointReconciler;
import io.osdeploy.operator.reconciler.OSImageReconciler;
import io.osdeploy.operator.reconciler.TaskSequenceDeploymentReconciler;
import io.osdeploy.operator.status.StatusAggregator;
import java.time.Duration;
import java.util.List;
import java.util.Set;

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

  /**
   * How an operator runs, besides its client and media store.
   *
   * @param election leader election of several replicas; null for none (a local run)
   * @param namespaces the namespaces every controller watches; empty for all
   * @param metrics where reconciles are counted and timed; null for none
   */
  public record Options(
      LeaderElectionConfiguration election, Set<String> namespaces, OperatorMetrics metrics) {
    public static final Options DEFAULTS = new Options(null, Set.of(), null);

    public Options {
      namespaces = Set.copyOf(namespaces);
    }

    public Options withElection(LeaderElectionConfiguration election) {
      return new Options(election, namespaces, metrics);
    }

    public Options withNamespaces(Set<String> namespaces) {
      return new Options(election, namespaces, metrics);
    }

    public Options withMetrics(OperatorMetrics metrics) {
      return new Options(election, namespaces, metrics);
    }
  }

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
    return create(client, media, Options.DEFAULTS);
  }

  /**
   * @param election leader election of several replicas (a replica that loses the lead exits, so
   *     two never reconcile at once); null for none
   */
  public static Operator create(
      KubernetesClient client, MediaStore media, LeaderElectionConfiguration election) {
    return create(client, media, Options.DEFAULTS.withElection(election));
  }

  /**
   * The operator, not started. The caller owns {@code client} and closes it after {@link
   * Operator#stop()}: a replica gives its Lease up with it once the operator has stopped.
   */
  public static Operator create(KubernetesClient client, MediaStore media, Options options) {
    Operator operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withStopOnInformerErrorDuringStartup(true)
                  .withCloseClientOnStop(false)
                  .withReconciliationTerminationTimeout(RECONCILES_FINISH_ON_STOP);
              if (options.election() != null) {
                o.withLeaderElectionConfiguration(options.election());
              }
              if (options.metrics() != null) {
                o.withMetrics(options.metrics().controllers());
              }
            });
    for (Reconciler<?> reconciler : reconcilers(media)) {
      register(operator, reconciler, options.namespaces());
    }
    return operator;
  }

  /** Registers {@code reconciler}, watching {@code namespaces} (every namespace when empty). */
  private static <R extends HasMetadata> void register(
      Operator operator, Reconciler<R> reconciler, Set<String> namespaces) {
    if (namespaces.isEmpty()) {
      operator.register(reconciler);
    } else {
      operator.register(reconciler, o -> o.settingNamespaces(namespaces));
    }
  }

  /**
   * Whether the operator is ready (its readiness probe): started, and every informer connected (a
   * standby replica is ready too: it can take over).
   */
  public static boolean ready(Operator operator) {
    return operator.getRuntimeInfo().isStarted()
        && operator.getRuntimeInfo().allEventSourcesAreHealthy();
  }
}
