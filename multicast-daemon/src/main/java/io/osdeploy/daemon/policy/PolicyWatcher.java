package io.osdeploy.daemon.policy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.Condition;
import io.osdeploy.api.v1alpha1.ConditionType;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a {@link PolicyBook} current from the API (read-only: list and watch deployments, OS images
 * and boot media in the distribution point's namespace). A deployment is published once the
 * operator says it is Ready for its current generation; when a later change makes it not Ready, the
 * last Ready version stays published, so a bad change never takes a working deployment away.
 */
public final class PolicyWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PolicyWatcher.class);

  private final PolicyBook book;
  private final Supplier<String> distributionPoint;
  private final SharedIndexInformer<TaskSequenceDeployment> deployments;
  private final SharedIndexInformer<OSImage> images;
  private final SharedIndexInformer<BootableMedia> media;
  private final SharedIndexInformer<ConfigMap> passwordHashes;
  private final Map<String, TaskSequenceDeployment> lastReady = new HashMap<>();

  public PolicyWatcher(
      KubernetesClient client,
      String namespace,
      Supplier<String> distributionPoint,
      PolicyBook book,
      MediaPasswords passwords) {
    this.book = book;
    this.distributionPoint = distributionPoint;
    ResourceEventHandler<Object> rebuild =
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Object obj) {
            rebuild();
          }

          @Override
          public void onUpdate(Object oldObj, Object newObj) {
            rebuild();
          }

          @Override
          public void onDelete(Object obj, boolean deletedFinalStateUnknown) {
            rebuild();
          }
        };
    this.deployments =
        client.resources(TaskSequenceDeployment.class).inNamespace(namespace).inform(cast(rebuild));
    this.images = client.resources(OSImage.class).inNamespace(namespace).inform(cast(rebuild));
    this.media = client.resources(BootableMedia.class).inNamespace(namespace).inform(cast(rebuild));
    ResourceEventHandler<ConfigMap> hashes =
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(ConfigMap map) {
            passwords.publish(namespace, map.getData());
          }

          @Override
          public void onUpdate(ConfigMap oldMap, ConfigMap newMap) {
            passwords.publish(namespace, newMap.getData());
          }

          @Override
          public void onDelete(ConfigMap map, boolean deletedFinalStateUnknown) {
            passwords.publish(namespace, Map.of());
          }
        };
    this.passwordHashes =
        client
            .configMaps()
            .inNamespace(namespace)
            .withName(MediaPasswords.CONFIG_MAP)
            .inform(hashes);
    rebuild();
  }

  @SuppressWarnings("unchecked")
  private static <T> ResourceEventHandler<T> cast(ResourceEventHandler<Object> handler) {
    return (ResourceEventHandler<T>) (ResourceEventHandler<?>) handler;
  }

  /** Recomputes what is published: on every event, and when the configuration changes. */
  public synchronized void rebuild() {
    String dp = distributionPoint.get();
    if (dp == null || deployments == null || images == null || media == null) {
      return;
    }
    Map<String, TaskSequenceDeployment> current = new HashMap<>();
    List<TaskSequenceDeployment> latest = new ArrayList<>();
    for (TaskSequenceDeployment d : deployments.getStore().list()) {
      String name = d.getMetadata().getName();
      if (d.getSpec() == null
          || d.getSpec().getDistributionPoints() == null
          || !d.getSpec().getDistributionPoints().contains(dp)) {
        continue;
      }
      latest.add(d);
      if (readyForItsGeneration(d)) {
        lastReady.put(name, d);
      }
      TaskSequenceDeployment published = lastReady.get(name);
      if (published != null) {
        current.put(name, published);
      }
    }
    lastReady.keySet().retainAll(current.keySet());
    List<OSImage> all = new ArrayList<>(images.getStore().list());
    Map<String, String> pins = new HashMap<>();
    for (BootableMedia m : media.getStore().list()) {
      if (m.getSpec() != null && m.getSpec().getDeployment() != null) {
        // Media name themselves by namespace/name; by name alone is accepted too.
        pins.put(m.getMetadata().getName(), m.getSpec().getDeployment());
        pins.put(
            m.getMetadata().getNamespace() + "/" + m.getMetadata().getName(),
            m.getSpec().getDeployment());
      }
    }
    book.publish(current.values(), all, pins);
    // Successes are read from the latest status, also of a deployment whose spec is not published.
    book.publishCompletions(Completions.of(latest));
    log.debug("policy for {}: {} deployments published", dp, current.size());
  }

  private static boolean readyForItsGeneration(TaskSequenceDeployment d) {
    if (d.getStatus() == null) {
      return false;
    }
    return d.getStatus()
        .condition(ConditionType.READY)
        .filter(Condition::isTrue)
        .filter(c -> Objects.equals(c.getObservedGeneration(), d.getMetadata().getGeneration()))
        .isPresent();
  }

  @Override
  public void close() {
    deployments.close();
    images.close();
    media.close();
    passwordHashes.close();
  }
}
