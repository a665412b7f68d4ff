package io.osdeploy.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.osdeploy.api.v1alpha1.Condition;
import io.osdeploy.api.v1alpha1.MachineProgress;
import io.osdeploy.api.v1alpha1.OsdeployApi;
import io.osdeploy.api.v1alpha1.ProgressReport;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentStatus;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.SiteObjects;
import io.osdeploy.operator.testing.TestCluster;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator's status write races another writer of the same resource: a distribution point's
 * daemon reports progress after the operator read the deployment and before its status write goes
 * out. The operator's write carries no resourceVersion and only the fields it owns, so the API
 * server neither refuses it for a stale version nor lets it touch the daemon's report: neither
 * writer's change is lost, and the race never shows as an error.
 */
class StatusWriteRaceIT {
  private static final String DEPLOYMENT = "fleet";
  private static final String M1 = "52:54:00:00:02:01";
  private static final String M2 = "52:54:00:00:02:02";
  private static final String M3 = "52:54:00:00:02:03";

  /** Run once, just before the operator's next status write of the deployment is sent. */
  private static final AtomicReference<Runnable> beforeStatusWrite = new AtomicReference<>();

  /** The API server's answers to the operator's status writes of the deployment. */
  private static final List<Integer> statusWriteAnswers = new CopyOnWriteArrayList<>();

  @RegisterExtension
  static LocallyRunOperatorExtension operator = OperatorTests.operator(racingClient());

  private final KubernetesClient client = TestCluster.client();

  /** The operator's client, which lets the test act at the moment a status write goes out. */
  private static KubernetesClient racingClient() {
    Interceptor race =
        new Interceptor() {
          @Override
          public void before(
              io.fabric8.kubernetes.client.http.BasicBuilder builder,
              HttpRequest request,
              RequestTags tags) {
            if (isStatusWrite(request)) {
              Runnable action = beforeStatusWrite.getAndSet(null);
              if (action != null) {
                action.run();
              }
            }
          }

          @Override
          public void after(
              HttpRequest request,
              HttpResponse<?> response,
              AsyncBody.Consumer<List<ByteBuffer>> consumer) {
            if (isStatusWrite(request)) {
              statusWriteAnswers.add(response.code());
            }
          }
        };
    return new KubernetesClientBuilder()
        .withConfig(Config.fromKubeconfig(TestCluster.kubeConfigYaml()))
        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("race", race))
        .build();
  }

  private static boolean isStatusWrite(HttpRequest request) {
    return request.method().equals("PATCH")
        && request.uri().getPath().endsWith("/tasksequencedeployments/" + DEPLOYMENT + "/status");
  }

  @Test
  void aStatusWriteRacingADaemonsReportLosesNeitherWrite() throws Exception {
    String ns = operator.getNamespace();
    List<String> reasons = new CopyOnWriteArrayList<>();
    try (SiteObjects site = new SiteObjects(client, ns, "conflict-it", 4096);
        Watch watch =
            client
                .resources(TaskSequenceDeployment.class)
                .inNamespace(ns)
                .watch(conditionReasons(reasons))) {
      site.image("img");
      site.distributionPoint("site", "img");
      site.deployment(DEPLOYMENT, "site", "img", M1, M2);
      TaskSequenceDeployment first = awaitObserved(ns, 1, 2, 0);
      String uid = first.getMetadata().getUid();

      // The next status write of the operator finds the deployment changed under it: a daemon's
      // progress report lands just before it goes out.
      statusWriteAnswers.clear();
      beforeStatusWrite.set(() -> report(ns, uid, "node-a", M1));
      site.deployment(DEPLOYMENT, "site", "img", M1, M2, M3);

      TaskSequenceDeployment done = awaitObserved(ns, 2, 3, 1);
      assertNull(
          beforeStatusWrite.get(), "the daemon's report went in before the operator's write");
      assertFalse(
          statusWriteAnswers.contains(409),
          "no status write was refused for a stale version: " + statusWriteAnswers);
      assertEquals(200, statusWriteAnswers.get(statusWriteAnswers.size() - 1));
      assertEquals(
          List.of("node-a"),
          done.getStatus().getReports().stream().map(ProgressReport::getNode).toList(),
          "the daemon's report survived the operator's write");
      assertTrue(
          reasons.stream().noneMatch(r -> r.equals("ReconcileError")),
          "a lost race is not an error: " + reasons);
    }
  }

  /** Waits until the status is the operator's for {@code generation}, with these machine counts. */
  private TaskSequenceDeployment awaitObserved(
      String ns, long generation, int targeted, int running) {
    await()
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () -> {
              TaskSequenceDeploymentStatus status = deployment(ns).getStatus();
              assertEquals(generation, status.getObservedGeneration(), "observedGeneration");
              assertEquals(targeted, status.getMachines().getTargeted(), "targeted");
              assertEquals(running, status.getMachines().getRunning(), "running");
            });
    return deployment(ns);
  }

  private TaskSequenceDeployment deployment(String ns) {
    return client
        .resources(TaskSequenceDeployment.class)
        .inNamespace(ns)
        .withName(DEPLOYMENT)
        .get();
  }

  /** Writes {@code node}'s progress report for {@code mac} as a daemon does: its own apply. */
  private void report(String ns, String uid, String node, String mac) {
    ObjectMapper json = new ObjectMapper();
    ObjectNode body = json.createObjectNode();
    body.put("apiVersion", OsdeployApi.API_VERSION);
    body.put("kind", "TaskSequenceDeployment");
    body.putObject("metadata").put("name", DEPLOYMENT).put("namespace", ns).put("uid", uid);
    ProgressReport report =
        new ProgressReport(
            node,
            List.of(
                new MachineProgress(
                    mac,
                    null,
                    MachineProgress.State.Running,
                    0,
                    "partitioning",
                    Instant.now().toString())));
    body.putObject("status").putArray("reports").add(json.valueToTree(report));
    OperatorTests.applyStatusAsNode(
        client, TaskSequenceDeployment.class, ns, DEPLOYMENT, node, body.toString());
  }

  private static Watcher<TaskSequenceDeployment> conditionReasons(List<String> reasons) {
    return new Watcher<>() {
      @Override
      public void eventReceived(Action action, TaskSequenceDeployment d) {
        if (d.getStatus() != null && d.getStatus().getConditions() != null) {
          d.getStatus().getConditions().stream().map(Condition::getReason).forEach(reasons::add);
        }
      }

      @Override
      public void onClose(WatcherException cause) {}
    };
  }
}
