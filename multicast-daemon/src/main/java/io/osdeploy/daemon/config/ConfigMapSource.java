package io.osdeploy.daemon.config;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.osdeploy.config.DaemonConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's ConfigMap, watched through the API (an informer on that one object, which the
 * daemon's Role allows), so a changed image list takes effect without a restart.
 */
public final class ConfigMapSource implements ConfigSource {
  private static final Logger log = LoggerFactory.getLogger(ConfigMapSource.class);

  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  private final ConfigTracker tracker;
  private SharedIndexInformer<ConfigMap> informer;

  public ConfigMapSource(
      KubernetesClient client, String namespace, String name, ConfigTracker tracker) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
    this.tracker = tracker;
  }

  @Override
  public void start() {
    informer =
        client
            .configMaps()
            .inNamespace(namespace)
            .withName(name)
            .runnableInformer(0)
            .addEventHandler(new Handler());
    informer
        .start()
        .whenComplete(
            (ignored, error) -> {
              if (error != null) {
                log.error("{}: cannot watch the ConfigMap", key(), error);
              } else if (informer.getStore().list().isEmpty()) {
                log.warn("{}: ConfigMap not found; waiting for it (not ready)", key());
              }
            });
  }

  private void accept(ConfigMap configMap) {
    String json =
        configMap.getData() == null ? null : configMap.getData().get(DaemonConfig.CONFIG_KEY);
    if (json == null) {
      log.error(
          "{}: ConfigMap has no key {}; keeping the current configuration",
          key(),
          DaemonConfig.CONFIG_KEY);
      return;
    }
    tracker.accept("ConfigMap " + key(), json);
  }

  private String key() {
    return namespace + "/" + name;
  }

  @Override
  public void close() {
    if (informer != null) {
      informer.close();
    }
  }

  private final class Handler implements ResourceEventHandler<ConfigMap> {
    @Override
    public void onAdd(ConfigMap configMap) {
      accept(configMap);
    }

    @Override
    public void onUpdate(ConfigMap previous, ConfigMap configMap) {
      accept(configMap);
    }

    @Override
    public void onDelete(ConfigMap configMap, boolean finalStateUnknown) {
      log.warn("{}: ConfigMap deleted; keeping the current configuration", key());
    }
  }
}
