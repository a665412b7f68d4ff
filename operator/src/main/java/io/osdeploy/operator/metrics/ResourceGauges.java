package io.osdeploy.operator.metrics;

import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.Condition;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OsdeployStatus;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentStatus;
import io.osdeploy.operator.watch.ResourceInformers;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * Gauges of the resources as the cluster has them now, for alerts and dashboards: how many of each
 * kind are Ready, not Ready or not yet judged ({@code osdeploy_resources{kind,ready}}), and the
 * deployments' machines by state, summed ({@code osdeploy_deployment_machines{state}}). Read at
 * each scrape from informers' caches, so a deleted resource leaves the counts with its deletion.
 * Series are per kind and state, never per resource.
 */
public final class ResourceGauges implements AutoCloseable {
  static final List<String> READY = List.of("True", "False", "Unknown");
  static final List<String> MACHINE_STATES =
      List.of("targeted", "pending", "running", "succeeded", "failed");

  /** The informers the gauges read, when they made their own; null when they were given them. */
  private final ResourceInformers owned;

  private ResourceGauges(ResourceInformers owned) {
    this.owned = owned;
  }

  /**
   * Watches the four kinds in {@code namespaces} (every namespace when empty) and registers the
   * gauges on {@code registry}.
   */
  public static ResourceGauges watch(
      KubernetesClient client, Set<String> namespaces, MeterRegistry registry) {
    ResourceInformers informers = ResourceInformers.start(client, namespaces);
    ResourceGauges g = new ResourceGauges(informers);
    registerOver(informers, registry);
    return g;
  }

  /** Registers the gauges on {@code registry}, read from {@code informers} (which stay open). */
  public static ResourceGauges watch(ResourceInformers informers, MeterRegistry registry) {
    registerOver(informers, registry);
    return new ResourceGauges(null);
  }

  private static void registerOver(ResourceInformers informers, MeterRegistry registry) {
    register(
        registry,
        () -> informers.list(OSImage.class),
        () -> informers.list(DistributionPoint.class),
        () -> informers.list(TaskSequenceDeployment.class),
        () -> informers.list(BootableMedia.class));
  }

  /** Registers the gauges over what the suppliers hold at each scrape. */
  static void register(
      MeterRegistry registry,
      Supplier<Collection<OSImage>> images,
      Supplier<Collection<DistributionPoint>> dps,
      Supplier<Collection<TaskSequenceDeployment>> deployments,
      Supplier<Collection<BootableMedia>> media) {
    kind(registry, "OSImage", images);
    kind(registry, "DistributionPoint", dps);
    kind(registry, "TaskSequenceDeployment", deployments);
    kind(registry, "BootableMedia", media);
    for (String state : MACHINE_STATES) {
      ToIntFunction<TaskSequenceDeploymentStatus.MachineCounts> field = machineCount(state);
      Gauge.builder(
              "osdeploy.deployment.machines",
              deployments,
              d ->
                  d.get().stream()
                      .filter(t -> t.getStatus() != null && t.getStatus().getMachines() != null)
                      .mapToInt(t -> field.applyAsInt(t.getStatus().getMachines()))
                      .sum())
          .description("Machines of all deployments, by their state in the deployments' status.")
          .tag("state", state)
          // The gauge holds the informers' view; by default Micrometer holds it weakly and a
          // collected view reads NaN.
          .strongReference(true)
          .register(registry);
    }
  }

  /** Counts by Ready, from resources as they are. */
  static int count(
      Collection<? extends CustomResource<?, ? extends OsdeployStatus>> items, String ready) {
    int n = 0;
    for (CustomResource<?, ? extends OsdeployStatus> r : items) {
      if (ready.equals(ready(r.getStatus()))) {
        n++;
      }
    }
    return n;
  }

  private static String ready(OsdeployStatus status) {
    if (status == null || status.getConditions() == null) {
      return "Unknown";
    }
    for (Condition c : status.getConditions()) {
      if ("Ready".equals(c.getType())) {
        return "True".equals(c.getStatus()) || "False".equals(c.getStatus())
            ? c.getStatus()
            : "Unknown";
      }
    }
    return "Unknown";
  }

  private static ToIntFunction<TaskSequenceDeploymentStatus.MachineCounts> machineCount(
      String state) {
    Function<TaskSequenceDeploymentStatus.MachineCounts, Integer> get =
        switch (state) {
          case "targeted" -> TaskSequenceDeploymentStatus.MachineCounts::getTargeted;
          case "pending" -> TaskSequenceDeploymentStatus.MachineCounts::getPending;
          case "running" -> TaskSequenceDeploymentStatus.MachineCounts::getRunning;
          case "succeeded" -> TaskSequenceDeploymentStatus.MachineCounts::getSucceeded;
          default -> TaskSequenceDeploymentStatus.MachineCounts::getFailed;
        };
    return m -> {
      Integer n = get.apply(m);
      return n == null ? 0 : n;
    };
  }

  private static <T extends CustomResource<?, ? extends OsdeployStatus>> void kind(
      MeterRegistry registry, String kind, Supplier<Collection<T>> items) {
    for (String ready : READY) {
      Gauge.builder("osdeploy.resources", items, s -> count(s.get(), ready))
          .description("osdeploy resources by kind and by their Ready condition.")
          .tag("kind", kind)
          .tag("ready", ready)
          .strongReference(true)
          .register(registry);
    }
  }

  @Override
  public void close() {
    if (owned != null) {
      owned.close();
    }
  }
}
