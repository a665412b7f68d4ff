package io.osdeploy.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.osdeploy.operator.media.BootFiles;
import io.osdeploy.operator.media.MediaServer;
import io.osdeploy.operator.metrics.OperatorMetrics;
import io.osdeploy.operator.metrics.ResourceGauges;
import io.osdeploy.operator.ops.OpsServer;
import io.osdeploy.operator.page.LivePage;
import io.osdeploy.operator.watch.ResourceInformers;
import java.net.InetAddress;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code run} in a pod: the operator as the Deployment in {@code deploy/} runs it. */
public final class InClusterRun {
  private InClusterRun() {}

  /** In a pod (and given no kubeconfig): the cluster the pod runs in, its service account. */
  public static boolean detected() {
    String kubeconfig = System.getenv("KUBECONFIG");
    String host = System.getenv("KUBERNETES_SERVICE_HOST");
    return (kubeconfig == null || kubeconfig.isBlank()) && host != null && !host.isBlank();
  }

  /**
   * The operator in its Deployment: CRDs are expected installed (from deploy/), the log goes to
   * stdout, replicas elect a leader through a Lease in their own namespace, it watches the
   * namespaces the settings name (all by default), boot media are kept and served as the
   * environment says, and metrics are at {@code /metrics} beside them. Runs until the pod is
   * stopped.
   */
  public static int run(OperatorSettings settings) throws Exception {
    Logger log = LoggerFactory.getLogger(InClusterRun.class);
    KubernetesClient client = new KubernetesClientBuilder().build();
    String namespace = System.getenv().getOrDefault("POD_NAMESPACE", client.getNamespace());
    if (namespace == null) {
      namespace = "osdeploy-system";
    }
    MediaServer media =
        MediaServer.start(
            BootFiles.debian(),
            settings.mediaDirectory(),
            "0.0.0.0",
            settings.mediaPort(),
            settings.mediaUrl() != null
                ? settings.mediaUrl()
                : "http://" + InetAddress.getLocalHost().getHostAddress());
    OperatorMetrics metrics = OperatorMetrics.create();
    OpsServer ops =
        OpsServer.start(
            "0.0.0.0", settings.opsPort(), metrics::scrape, OperatorMetrics.CONTENT_TYPE);
    LeaderLease lease = new LeaderLease(namespace, OsdeployOperator.identity());
    Operator operator =
        OsdeployOperator.create(
            client,
            media.store(),
            new OsdeployOperator.Options(
                lease.configuration(), settings.watchNamespaces(), metrics));
    ops.setReadiness(() -> OsdeployOperator.ready(operator));
    ResourceInformers informers = ResourceInformers.start(client, settings.watchNamespaces());
    ResourceGauges gauges = ResourceGauges.watch(informers, metrics.registry());
    LivePage page =
        settings.pagePort() == 0
            ? null
            : LivePage.start(informers, "0.0.0.0", settings.pagePort(), settings.pageHosts());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // SIGTERM: finish the reconciles under way, then hand the Lease over at once.
                  log.info("stopping: finishing reconciles, then releasing the Lease");
                  lease.stopping();
                  ops.setReadiness(() -> false);
                  operator.stop();
                  if (page != null) {
                    page.close();
                  }
                  gauges.close();
                  informers.close();
                  lease.release(client);
                  media.close();
                  ops.close();
                  client.close();
                  log.info("stopped");
                  stopped.countDown();
                },
                "shutdown"));
    operator.start();
    log.info(
        "operator running in namespace {} (leader election on Lease {}), watching {}; media at"
            + " {}, probes and metrics on port {}, the live page on port {}",
        namespace,
        OsdeployOperator.LEASE_NAME,
        settings.watchNamespaces().isEmpty()
            ? "every namespace"
            : "namespaces " + String.join(", ", settings.watchNamespaces()),
        media.baseUrl(),
        ops.address().getPort(),
        page == null ? "none" : page.address().getPort());
    stopped.await();
    return 0;
  }
}
