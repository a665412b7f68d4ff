package io.osdeploy.operator.testing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatusBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.Condition;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OsdeployStatus;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.operator.OsdeployOperator;
import io.osdeploy.operator.local.Crds;
import io.osdeploy.operator.media.BootFiles;
import io.osdeploy.operator.media.MediaServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.awaitility.core.ConditionTimeoutException;

/** What the operator's integration tests share. */
public final class OperatorTests {
  public static final Duration TIMEOUT = Duration.ofSeconds(90);

  private OperatorTests() {}

  /**
   * The operator's four reconcilers, run by JOSDK's extension in one namespace per test class, with
   * a client of its own (the extension closes it when the class is done).
   */
  /** One media store and server for the test JVM, over a temporary directory. */
  public static synchronized MediaServer media() {
    if (media == null) {
      try {
        Path dir = Files.createTempDirectory("osdeploy-media-");
        media = MediaServer.start(BootFiles.debian(), dir, "127.0.0.1", 0, "http://127.0.0.1");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return media;
  }

  private static MediaServer media;

  /** The Kubernetes Events about the resource {@code name} in {@code namespace}. */
  public static List<io.fabric8.kubernetes.api.model.Event> events(
      KubernetesClient client, String namespace, String name) {
    return client.v1().events().inNamespace(namespace).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .toList();
  }

  /** Waits for an Event {@code reason} about {@code name} whose message holds {@code text}. */
  public static io.fabric8.kubernetes.api.model.Event awaitEvent(
      KubernetesClient client, String namespace, String name, String reason, String text) {
    return await("an event " + reason + " about " + name)
        .atMost(TIMEOUT)
        .until(
            () ->
                events(client, namespace, name).stream()
                    .filter(e -> reason.equals(e.getReason()) && e.getMessage().contains(text))
                    .findFirst()
                    .orElse(null),
            java.util.Objects::nonNull);
  }

  public static LocallyRunOperatorExtension operator(KubernetesClient client) {
    LocallyRunOperatorExtension.Builder builder = LocallyRunOperatorExtension.builder();
    OsdeployOperator.reconcilers(media().store()).forEach(builder::withReconciler);
    return builder.withKubernetesClient(client).oneNamespacePerClass(true).build();
  }

  /**
   * Waits until the resource's condition {@code type} has {@code status} and {@code reason} for its
   * latest generation; {@code context} adds to the failure message.
   */
  public static <T extends CustomResource<?, ? extends OsdeployStatus>> T awaitCondition(
      KubernetesClient client,
      String namespace,
      Class<T> kind,
      String name,
      String type,
      String status,
      String reason,
      Supplier<String> context) {
    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () -> {
              T r = client.resources(kind).inNamespace(namespace).withName(name).get();
              assertNotNull(r, kind.getSimpleName() + "/" + name + " exists");
              assertNotNull(r.getStatus(), kind.getSimpleName() + "/" + name + " has a status");
              // Right after an apply the status may still be the NotObserved default, without
              // this condition: an assertion, so that the wait goes on.
              Condition c =
                  r.getStatus()
                      .condition(type)
                      .orElseThrow(() -> new AssertionError("no " + type + " condition yet"));
              assertEquals(status, c.getStatus(), c + "\n" + context.get());
              assertEquals(reason, c.getReason(), c + "\n" + context.get());
              assertEquals(r.getMetadata().getGeneration(), r.getStatus().getObservedGeneration());
              assertEquals(r.getMetadata().getGeneration(), c.getObservedGeneration());
            });
    return client.resources(kind).inNamespace(namespace).withName(name).get();
  }

  /**
   * Deletes every object of {@code kinds} in {@code namespace} and waits until they are gone, so
   * that tests sharing a namespace each start from an empty one.
   */
  @SafeVarargs
  public static void deleteAll(
      KubernetesClient client, String namespace, Class<? extends HasMetadata>... kinds) {
    for (Class<? extends HasMetadata> kind : kinds) {
      client.resources(kind).inNamespace(namespace).delete();
      await()
          .atMost(TIMEOUT)
          .until(() -> client.resources(kind).inNamespace(namespace).list().getItems().isEmpty());
    }
  }

  /**
   * Server-side applies {@code item} into {@code namespace} as a user would from git: without the
   * server's bookkeeping (uid, resourceVersion, managedFields, ...) a read copy carries.
   */
  public static <T extends HasMetadata> T apply(
      KubernetesClient client, String namespace, String fieldManager, T item) {
    item.getMetadata().setNamespace(namespace);
    item.getMetadata().setManagedFields(null);
    item.getMetadata().setResourceVersion(null);
    item.getMetadata().setUid(null);
    item.getMetadata().setCreationTimestamp(null);
    item.getMetadata().setGeneration(null);
    return client.resource(item).fieldManager(fieldManager).forceConflicts().serverSideApply();
  }

  /** How many times {@code what} occurs in {@code text} (a log), overlapping ones included. */
  public static int count(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }

  /**
   * Writes what the DaemonSet controller would once {@code nodes} pods run the latest template: no
   * kubelet runs in these tests.
   */
  public static void rollOut(KubernetesClient client, String namespace, String name, int nodes) {
    DaemonSet ds =
        await()
            .atMost(TIMEOUT)
            .until(
                () -> client.apps().daemonSets().inNamespace(namespace).withName(name).get(),
                d -> d != null);
    ds.setStatus(
        new DaemonSetStatusBuilder()
            .withDesiredNumberScheduled(nodes)
            .withCurrentNumberScheduled(nodes)
            .withUpdatedNumberScheduled(nodes)
            .withNumberReady(nodes)
            .withNumberAvailable(nodes)
            .withNumberMisscheduled(0)
            .withObservedGeneration(ds.getMetadata().getGeneration())
            .build());
    client.resource(ds).updateStatus();
  }

  /** Applies the four CRDs as every integration test applies them (one field manager). */
  public static void applyCrds(KubernetesClient client) {
    for (Class<? extends HasMetadata> kind :
        List.of(
            OSImage.class,
            DistributionPoint.class,
            TaskSequenceDeployment.class,
            BootableMedia.class)) {
      LocallyRunOperatorExtension.applyCrd(kind, client);
    }
  }

  public static void createNamespaces(KubernetesClient client, String... names) {
    for (String name : names) {
      client
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
          .create();
    }
  }

  /**
   * Writes {@code statusApply} (a server-side apply body of the status) to {@code name} as the
   * daemon of node {@code node} writes its part of a status: with its own field manager.
   */
  public static <T extends HasMetadata> void applyStatusAsNode(
      KubernetesClient client,
      Class<T> kind,
      String namespace,
      String name,
      String node,
      String statusApply) {
    client
        .resources(kind)
        .inNamespace(namespace)
        .withName(name)
        .subresource("status")
        .patch(
            new PatchContext.Builder()
                .withPatchType(PatchType.SERVER_SIDE_APPLY)
                .withFieldManager("osdeploy-daemon/" + node)
                .withForce(true)
                .build(),
            statusApply);
  }

  /**
   * Deletes the osdeploy CRDs and waits until they are gone: for test classes that install them
   * another way (as a user would, another field manager) and must leave the cluster as the others
   * expect it. A custom resource whose finalizer no running operator will remove keeps its CRD
   * terminating; after 30 s such finalizers are removed, so one stuck resource cannot fail the test
   * classes that come after.
   */
  public static void removeCrds(KubernetesClient client) {
    for (String name : Crds.NAMES) {
      client.apiextensions().v1().customResourceDefinitions().withName(name).delete();
    }
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> crdsGone(client));
    } catch (ConditionTimeoutException e) {
      for (Class<? extends CustomResource<?, ?>> kind : KINDS) {
        for (CustomResource<?, ?> r : client.resources(kind).inAnyNamespace().list().getItems()) {
          client
              .resources(kind)
              .inNamespace(r.getMetadata().getNamespace())
              .withName(r.getMetadata().getName())
              .edit(
                  current -> {
                    current.getMetadata().setFinalizers(List.of());
                    return current;
                  });
        }
      }
      await().atMost(TIMEOUT).until(() -> crdsGone(client));
    }
  }

  private static final List<Class<? extends CustomResource<?, ?>>> KINDS =
      List.of(
          BootableMedia.class,
          TaskSequenceDeployment.class,
          DistributionPoint.class,
          OSImage.class);

  private static boolean crdsGone(KubernetesClient client) {
    return Crds.NAMES.stream()
        .allMatch(
            n -> client.apiextensions().v1().customResourceDefinitions().withName(n).get() == null);
  }
}
