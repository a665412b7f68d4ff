package io.osdeploy.operator.watch;

import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One informer per kind of ours (per watched namespace), shared by what reads the resources as the
 * cluster has them besides the reconcilers: the metrics' gauges and the live page. One watch and
 * one cache per kind, however many of them read it.
 */
public final class ResourceInformers implements AutoCloseable {
  public static final List<Class<? extends CustomResource<?, ?>>> KINDS =
      List.of(
          OSImage.class,
          DistributionPoint.class,
          TaskSequenceDeployment.class,
          BootableMedia.class);

  private final Map<Class<?>, List<SharedIndexInformer<?>>> informers = new LinkedHashMap<>();

  private ResourceInformers() {}

  /** Informs on the four kinds in {@code namespaces} (every namespace when empty). */
  public static ResourceInformers start(KubernetesClient client, Set<String> namespaces) {
    ResourceInformers r = new ResourceInformers();
    try {
      for (Class<? extends CustomResource<?, ?>> kind : KINDS) {
        r.inform(client, kind, namespaces);
      }
    } catch (RuntimeException e) {
      r.close();
      throw e;
    }
    return r;
  }

  private <T extends CustomResource<?, ?>> void inform(
      KubernetesClient client, Class<T> type, Set<String> namespaces) {
    List<SharedIndexInformer<?>> mine = new ArrayList<>();
    if (namespaces.isEmpty()) {
      mine.add(client.resources(type).inAnyNamespace().inform());
    } else {
      for (String ns : namespaces) {
        mine.add(client.resources(type).inNamespace(ns).inform());
      }
    }
    informers.put(type, mine);
  }

  /** Every resource of {@code type} the informers hold now. */
  @SuppressWarnings("unchecked")
  public <T extends CustomResource<?, ?>> Collection<T> list(Class<T> type) {
    List<T> all = new ArrayList<>();
    for (SharedIndexInformer<?> i : of(type)) {
      all.addAll(((SharedIndexInformer<T>) i).getStore().list());
    }
    return all;
  }

  /**
   * Tells {@code handler} of every change to {@code type}: first an add for each resource held now,
   * then as changes arrive.
   */
  @SuppressWarnings("unchecked")
  public <T extends CustomResource<?, ?>> void addHandler(
      Class<T> type, ResourceEventHandler<? super T> handler) {
    for (SharedIndexInformer<?> i : of(type)) {
      ((SharedIndexInformer<T>) i).addEventHandler(handler);
    }
  }

  private List<SharedIndexInformer<?>> of(Class<?> type) {
    List<SharedIndexInformer<?>> found = informers.get(type);
    if (found == null) {
      throw new IllegalArgumentException("not a kind of ours: " + type.getName());
    }
    return found;
  }

  @Override
  public void close() {
    informers.values().forEach(l -> l.forEach(SharedIndexInformer::close));
  }
}
