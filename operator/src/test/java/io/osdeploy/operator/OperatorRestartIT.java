package io.osdeploy.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.BootableMediaSpec;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OsdeployStatus;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.operator.dependent.DaemonResources;
import io.osdeploy.operator.testing.OperatorProcess;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.SiteObjects;
import io.osdeploy.operator.testing.TestCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's pod killed (SIGKILL) while it works through a site, the site changed while no
 * operator runs, and a new pod started on the same media volume: it takes the Lease over and
 * converges, with exactly one of each object a distribution point needs, no object whose owner is
 * gone, and on the volume exactly the artifacts the media's statuses name.
 */
class OperatorRestartIT {
  private static final int SITES = 20;
  private static final int MEDIA = 4;
  private static final Duration CONVERGE = Duration.ofMinutes(3);

  private final KubernetesClient client = TestCluster.client();
  private final String ns = "operator-restart-" + UUID.randomUUID().toString().substring(0, 5);
  private final List<OperatorProcess> operators = new ArrayList<>();

  /**
   * Deletes the resources while an operator may still run their cleanup, then strips what
   * finalizers are left: a namespace must not stay terminating with resources no operator will
   * finish, since the CRDs other tests install again could not be deleted.
   */
  @AfterEach
  void cleanUp() {
    List<Class<? extends CustomResource<?, ?>>> kinds =
        List.of(
            BootableMedia.class,
            TaskSequenceDeployment.class,
            DistributionPoint.class,
            OSImage.class);
    kinds.forEach(kind -> client.resources(kind).inNamespace(ns).delete());
    try {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  kinds.stream()
                      .allMatch(
                          kind ->
                              client.resources(kind).inNamespace(ns).list().getItems().isEmpty()));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      // No operator finished the cleanup: the finalizers go below.
    }
    operators.forEach(OperatorProcess::close);
    for (Class<? extends CustomResource<?, ?>> kind : kinds) {
      for (CustomResource<?, ?> r : client.resources(kind).inNamespace(ns).list().getItems()) {
        client
            .resources(kind)
            .inNamespace(ns)
            .withName(r.getMetadata().getName())
            .edit(
                current -> {
                  current.getMetadata().setFinalizers(List.of());
                  return current;
                });
      }
    }
    client.namespaces().withName(ns).delete();
  }

  @Test
  void killedMidReconcileAndStartedAgainItConvergesWithNoDuplicateOrOrphanedObject(
      @TempDir Path dir) throws Exception {
    OperatorTests.applyCrds(client);
    OperatorTests.createNamespaces(client, ns);
    Path home = Files.createDirectories(dir.resolve("pod-volume"));
    Map<String, String> env = Map.of("OSDEPLOY_WATCH_NAMESPACES", ns);
    try (SiteObjects site = new SiteObjects(client, ns, "restart-it", 4096)) {
      site.image("img");
      for (int i = 0; i < SITES; i++) {
        site.distributionPoint("dp-" + i, "img");
        site.deployment("d-" + i, "dp-" + i, "img", String.format("52:54:00:00:03:%02x", i));
      }
      for (int i = 0; i < MEDIA; i++) {
        media("m-" + i, "http://dp-" + i + ".test:9080");
      }

      // Killed the moment it has made its first DaemonSet: mid-way through the sites.
      CountDownLatch killed = new CountDownLatch(1);
      AtomicReference<OperatorProcess> first = new AtomicReference<>();
      try (Watch watch =
          client
              .apps()
              .daemonSets()
              .inNamespace(ns)
              .watch(
                  new Watcher<DaemonSet>() {
                    @Override
                    public void eventReceived(Action action, DaemonSet ds) {
                      OperatorProcess p = first.get();
                      if (p != null && killed.getCount() > 0) {
                        p.killNow();
                        killed.countDown();
                      }
                    }

                    @Override
                    public void onClose(WatcherException cause) {}
                  })) {
        first.set(start(home, "osdeploy-operator-first", env));
        assertTrue(
            killed.await(OperatorTests.TIMEOUT.toSeconds(), TimeUnit.SECONDS),
            "the first operator began\n" + first.get().log());
      }
      first.get().kill();
      System.out.printf(
          "killed with %d of %d DaemonSets made, %d of %d distribution points and %d of %d"
              + " deployments reported on%n",
          managed(client.apps().daemonSets().inNamespace(ns).list().getItems()).size(),
          SITES,
          reportedOn(DistributionPoint.class),
          SITES,
          reportedOn(TaskSequenceDeployment.class),
          SITES);

      // While no operator runs: what a kill during a media build leaves on the volume, and a
      // user's changes.
      Path media = home.resolve("media");
      Files.createDirectories(media.resolve(".build-4711/tree"));
      Files.write(media.resolve(".build-4711/media.iso"), new byte[1000]);
      Files.write(media.resolve("c".repeat(64) + ".iso"), new byte[1000]);
      client
          .resources(TaskSequenceDeployment.class)
          .inNamespace(ns)
          .withName("d-" + (SITES - 1))
          .delete();
      client
          .resources(DistributionPoint.class)
          .inNamespace(ns)
          .withName("dp-" + (SITES - 1))
          .delete();
      client.resources(BootableMedia.class).inNamespace(ns).withName("m-3").delete();
      media("m-0", "http://dp-0.test:9081");

      OperatorProcess second = start(home, "osdeploy-operator-second", env);
      await()
          .atMost(CONVERGE)
          .untilAsserted(
              () -> {
                assertTrue(second.isAlive(), second.log());
                for (int i = 0; i < SITES - 1; i++) {
                  assertObserved(DistributionPoint.class, "dp-" + i, second);
                  assertObserved(TaskSequenceDeployment.class, "d-" + i, second);
                }
                for (int i = 0; i < MEDIA - 1; i++) {
                  BootableMedia m = assertObserved(BootableMedia.class, "m-" + i, second);
                  assertNotNull(m.getStatus().getArtifact(), "m-" + i + " is built");
                }
                assertEquals(
                    null,
                    client.resources(BootableMedia.class).inNamespace(ns).withName("m-3").get(),
                    "the deleted media's cleanup ran");
                assertEquals(
                    Set.of(),
                    orphans(),
                    "objects whose distribution point is gone (the garbage collector takes them)");
              });
      assertTrue(
          client
              .leases()
              .inNamespace(ns)
              .withName(LeaderLease.NAME)
              .get()
              .getSpec()
              .getHolderIdentity()
              .startsWith("osdeploy-operator-second"),
          "the new pod leads");

      // Exactly one of each kind of object per distribution point, each owned by it.
      Map<String, Integer> perSite = new TreeMap<>();
      for (HasMetadata o : managedObjects()) {
        OwnerReference owner = owner(o);
        if (owner == null) {
          continue;
        }
        perSite.merge(o.getKind() + " of " + owner.getName(), 1, Integer::sum);
      }
      Map<String, Integer> expected = new TreeMap<>();
      for (int i = 0; i < SITES - 1; i++) {
        for (String kind :
            List.of("ConfigMap", "DaemonSet", "Role", "RoleBinding", "Service", "ServiceAccount")) {
          expected.put(kind + " of dp-" + i, 1);
        }
      }
      assertEquals(expected, perSite);

      // On the volume: the artifacts the statuses name, and nothing else.
      Set<String> named =
          client.resources(BootableMedia.class).inNamespace(ns).list().getItems().stream()
              .map(m -> m.getStatus().getArtifact().getSha256() + ".iso")
              .collect(Collectors.toSet());
      assertEquals(MEDIA - 1, named.size(), "each media its own artifact");
      try (Stream<Path> files = Files.list(media)) {
        assertEquals(named, files.map(p -> p.getFileName().toString()).collect(Collectors.toSet()));
      }
      for (String artifact : named) {
        assertEquals(200, second.get("/media/" + artifact), artifact + " is served");
      }
    }
  }

  private <T extends CustomResource<?, ? extends OsdeployStatus>> long reportedOn(Class<T> kind) {
    return client.resources(kind).inNamespace(ns).list().getItems().stream()
        .filter(r -> r.getStatus() != null && r.getStatus().getObservedGeneration() != null)
        .count();
  }

  private OperatorProcess start(Path home, String pod, Map<String, String> env) throws Exception {
    OperatorProcess p =
        OperatorProcess.startInCluster(TestCluster.kubeConfigYaml(), home, ns, pod, env);
    operators.add(p);
    return p;
  }

  private void media(String name, String bootServer) {
    BootableMedia m = new BootableMedia();
    m.getMetadata().setName(name);
    m.getMetadata().setNamespace(ns);
    m.setSpec(new BootableMediaSpec());
    m.getSpec().setType(BootableMediaSpec.MediaType.Usb);
    m.getSpec().setBootServers(List.of(bootServer));
    client.resource(m).fieldManager("restart-it").forceConflicts().serverSideApply();
  }

  private <T extends CustomResource<?, ? extends OsdeployStatus>> T assertObserved(
      Class<T> kind, String name, OperatorProcess operator) {
    T r = client.resources(kind).inNamespace(ns).withName(name).get();
    assertNotNull(r, kind.getSimpleName() + "/" + name);
    assertNotNull(r.getStatus(), kind.getSimpleName() + "/" + name + " has a status");
    assertEquals(
        r.getMetadata().getGeneration(),
        r.getStatus().getObservedGeneration(),
        kind.getSimpleName() + "/" + name + " observed\n" + tail(operator.log()));
    return r;
  }

  /** Every object the operator labels as its own in the namespace. */
  private List<HasMetadata> managedObjects() {
    List<HasMetadata> all = new ArrayList<>();
    all.addAll(managed(client.apps().daemonSets().inNamespace(ns).list().getItems()));
    all.addAll(managed(client.configMaps().inNamespace(ns).list().getItems()));
    all.addAll(managed(client.serviceAccounts().inNamespace(ns).list().getItems()));
    all.addAll(managed(client.services().inNamespace(ns).list().getItems()));
    all.addAll(managed(client.rbac().roles().inNamespace(ns).list().getItems()));
    all.addAll(managed(client.rbac().roleBindings().inNamespace(ns).list().getItems()));
    return all;
  }

  /** Objects of the operator's whose owner no longer exists. */
  private Set<String> orphans() {
    Set<String> live =
        client.resources(DistributionPoint.class).inNamespace(ns).list().getItems().stream()
            .map(dp -> dp.getMetadata().getUid())
            .collect(Collectors.toSet());
    return managedObjects().stream()
        .filter(o -> owner(o) != null && !live.contains(owner(o).getUid()))
        .map(o -> o.getKind() + "/" + o.getMetadata().getName())
        .collect(Collectors.toSet());
  }

  /** The distribution point that owns {@code o}, if one does. */
  private static OwnerReference owner(HasMetadata o) {
    return o.getMetadata().getOwnerReferences().stream()
        .filter(r -> r.getKind().equals("DistributionPoint"))
        .findFirst()
        .orElse(null);
  }

  private static <T extends HasMetadata> List<T> managed(List<T> items) {
    String[] label = DaemonResources.MANAGED_SELECTOR.split("=");
    return items.stream()
        .filter(o -> label[1].equals(o.getMetadata().getLabels().get(label[0])))
        .toList();
  }

  private static String tail(String log) {
    return log.length() > 3000 ? log.substring(log.length() - 3000) : log;
  }
}
