package io.osdeploy.operator.bench;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatus;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.config.DaemonConfig;
import io.osdeploy.config.InvalidConfigException;
import io.osdeploy.daemon.report.KubernetesNodeStatusWriter;
import io.osdeploy.daemon.report.NodeReport;
import io.osdeploy.daemon.report.NodeReporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a site would do for each distribution point, without kubelets or a DaemonSet controller:
 *
 * <ul>
 *   <li>the DaemonSet controller: each daemon DaemonSet the operator makes reports one node
 *       scheduled, updated and ready for its latest generation (a merge patch of its status);
 *   <li>the daemon on that node: once the operator has written the daemon's configuration
 *       (ConfigMap), the node reports every image in it verified, through the daemon's own {@link
 *       NodeReporter} and {@link KubernetesNodeStatusWriter} (a server-side apply of the node's
 *       entry of {@code status.nodes} with field manager {@code osdeploy-daemon/<node>}), as a
 *       daemon does once it holds the images. Nothing is downloaded.
 * </ul>
 *
 * Both react to watch events, as the real ones do, with a client of their own so that the API
 * server's audit log tells their requests from the operator's.
 */
final class StandInNodes implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StandInNodes.class);

  private final KubernetesClient client;
  private final String namespace;
  private final KubernetesNodeStatusWriter writer;
  private final ExecutorService patches = Executors.newFixedThreadPool(2);
  private final Map<String, Node> nodes = new ConcurrentHashMap<>();
  private final AtomicInteger nextAddress = new AtomicInteger();
  private final SharedIndexInformer<ConfigMap> configs;
  private final SharedIndexInformer<DaemonSet> daemonSets;

  /** One node of one distribution point: the configuration it runs and its reporter. */
  private final class Node {
    final String name;
    final String endpoint;
    final AtomicReference<DaemonConfig> config = new AtomicReference<>();
    final NodeReporter reporter;

    Node(String distributionPoint) {
      int n = nextAddress.getAndIncrement();
      this.name = "node-" + distributionPoint;
      this.endpoint = "http://10.77." + (n / 250) + "." + (1 + n % 250) + ":9080";
      this.reporter = new NodeReporter(writer, this::report, Duration.ofSeconds(5));
    }

    Optional<NodeReport> report() {
      DaemonConfig c = config.get();
      if (c == null) {
        return Optional.empty();
      }
      List<ImageState> images = new ArrayList<>();
      for (DaemonConfig.Image image : c.getImages()) {
        ImageState state =
            new ImageState(image.getName(), image.getSha256(), ImageState.Phase.Verified);
        state.setBytes(image.getSizeBytes());
        state.setTotalBytes(image.getSizeBytes());
        images.add(state);
      }
      return Optional.of(
          new NodeReport(
              c.getNamespace(),
              c.getDistributionPoint(),
              NodeReport.nodeStatus(name, "scale-bench", endpoint, c.getGeneration(), images)));
    }
  }

  StandInNodes(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
    this.writer = new KubernetesNodeStatusWriter(client);
    this.configs =
        client
            .configMaps()
            .inNamespace(namespace)
            .withLabel("app.kubernetes.io/managed-by", "osdeploy-operator")
            .inform(handler(this::configured));
    this.daemonSets =
        client
            .apps()
            .daemonSets()
            .inNamespace(namespace)
            .withLabel("app.kubernetes.io/managed-by", "osdeploy-operator")
            .inform(handler(ds -> patches.execute(() -> rollOut(ds))));
  }

  private static <T> ResourceEventHandler<T> handler(java.util.function.Consumer<T> onChange) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        onChange.accept(obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        onChange.accept(newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {}
    };
  }

  /** A daemon reads its configuration and reports what it holds. */
  private void configured(ConfigMap map) {
    String json = map.getData() == null ? null : map.getData().get(DaemonConfig.CONFIG_KEY);
    if (json == null) {
      return;
    }
    DaemonConfig config;
    try {
      config = DaemonConfig.parse(json);
    } catch (InvalidConfigException e) {
      log.warn("{}: invalid daemon configuration: {}", map.getMetadata().getName(), e.getMessage());
      return;
    }
    Node node = nodes.computeIfAbsent(config.getDistributionPoint(), Node::new);
    node.config.set(config);
    node.reporter.changed();
  }

  /** The DaemonSet controller, for one node that runs the latest template and is ready. */
  private void rollOut(DaemonSet ds) {
    DaemonSetStatus wanted =
        new DaemonSetStatusBuilder()
            .withDesiredNumberScheduled(1)
            .withCurrentNumberScheduled(1)
            .withUpdatedNumberScheduled(1)
            .withNumberReady(1)
            .withNumberAvailable(1)
            .withNumberMisscheduled(0)
            .withObservedGeneration(ds.getMetadata().getGeneration())
            .build();
    if (Objects.equals(wanted, ds.getStatus())) {
      return;
    }
    try {
      client
          .apps()
          .daemonSets()
          .inNamespace(namespace)
          .withName(ds.getMetadata().getName())
          .subresource("status")
          .patch(
              PatchContext.of(PatchType.JSON_MERGE),
              Serialization.asJson(Map.of("status", wanted)));
    } catch (RuntimeException e) {
      log.warn("{}: DaemonSet status not written", ds.getMetadata().getName(), e);
    }
  }

  /** How many distribution points have a node that has read its configuration. */
  int nodes() {
    return nodes.size();
  }

  @Override
  public void close() {
    configs.close();
    daemonSets.close();
    nodes.values().forEach(n -> n.reporter.close());
    patches.shutdownNow();
  }
}
