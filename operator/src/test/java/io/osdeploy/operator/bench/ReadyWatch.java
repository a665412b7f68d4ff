package io.osdeploy.operator.bench;

import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.osdeploy.api.v1alpha1.Condition;
import io.osdeploy.api.v1alpha1.ConditionType;
import io.osdeploy.api.v1alpha1.OsdeployStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Watches the resources of one namespace and notes, per resource, when it was sent to the API
 * server and when a watch event first showed it Ready for its generation: {@code
 * status.observedGeneration} and the Ready condition's {@code observedGeneration} equal to {@code
 * metadata.generation} and the condition's status True, as {@code OperatorTests.awaitCondition}
 * waits for it.
 */
final class ReadyWatch implements AutoCloseable {
  /** One resource: kind, name, when its apply was sent and when it was first seen Ready. */
  static final class Entry {
    final String kind;
    final String name;
    volatile long sentNanos;
    volatile long readyNanos;
    volatile boolean ready;
    volatile String lastCondition = "no status yet";
    final AtomicInteger lostReady = new AtomicInteger();

    Entry(String kind, String name) {
      this.kind = kind;
      this.name = name;
    }

    double latencySeconds() {
      return (readyNanos - sentNanos) / 1e9;
    }
  }

  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicInteger readyNow = new AtomicInteger();
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private final Object allReady = new Object();
  private volatile long allReadyNanos;
  private volatile boolean sentAll;

  <T extends CustomResource<?, ? extends OsdeployStatus>> void watch(
      KubernetesClient client, String namespace, Class<T> kind) {
    informers.add(
        client
            .resources(kind)
            .inNamespace(namespace)
            .inform(
                new ResourceEventHandler<T>() {
                  @Override
                  public void onAdd(T obj) {
                    seen(obj);
                  }

                  @Override
                  public void onUpdate(T oldObj, T newObj) {
                    seen(newObj);
                  }

                  @Override
                  public void onDelete(T obj, boolean deletedFinalStateUnknown) {}
                }));
  }

  /** The resource is about to be applied; only expected resources count towards all Ready. */
  void sending(String kind, String name) {
    entry(kind, name).sentNanos = System.nanoTime();
  }

  private Entry entry(String kind, String name) {
    return entries.computeIfAbsent(kind + "/" + name, k -> new Entry(kind, name));
  }

  private void seen(CustomResource<?, ? extends OsdeployStatus> r) {
    long now = System.nanoTime();
    Entry e = entry(r.getKind(), r.getMetadata().getName());
    boolean ready = readyForGeneration(r);
    Condition c =
        r.getStatus() == null ? null : r.getStatus().condition(ConditionType.READY).orElse(null);
    e.lastCondition =
        c == null
            ? "no Ready condition"
            : c.getStatus() + " " + c.getReason() + ": " + c.getMessage();
    synchronized (e) {
      if (ready && !e.ready) {
        e.ready = true;
        if (e.readyNanos == 0) {
          e.readyNanos = now;
        }
        readyNow.incrementAndGet();
      } else if (!ready && e.ready) {
        e.ready = false;
        e.lostReady.incrementAndGet();
        readyNow.decrementAndGet();
      }
    }
    checkAllReady(now);
  }

  /** Every expected resource has been sent: from here on, all Ready can be declared. */
  void sentAll() {
    sentAll = true;
    checkAllReady(System.nanoTime());
  }

  private void checkAllReady(long now) {
    synchronized (allReady) {
      if (allReadyNanos == 0 && sentAll && readyNow.get() == entries.size()) {
        allReadyNanos = now;
        allReady.notifyAll();
      }
    }
  }

  static boolean readyForGeneration(CustomResource<?, ? extends OsdeployStatus> r) {
    OsdeployStatus s = r.getStatus();
    Long generation = r.getMetadata().getGeneration();
    return s != null
        && Objects.equals(generation, s.getObservedGeneration())
        && s.condition(ConditionType.READY)
            .filter(c -> Condition.TRUE.equals(c.getStatus()))
            .filter(c -> Objects.equals(generation, c.getObservedGeneration()))
            .isPresent();
  }

  /** Waits until every resource is Ready; the moment it happened, or 0 on timeout. */
  long awaitAllReady(long timeoutSeconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    synchronized (allReady) {
      while (allReadyNanos == 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return 0;
        }
        TimeUnit.NANOSECONDS.timedWait(allReady, left);
      }
      return allReadyNanos;
    }
  }

  int readyNow() {
    return readyNow.get();
  }

  List<Entry> entries() {
    return new ArrayList<>(entries.values());
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}
