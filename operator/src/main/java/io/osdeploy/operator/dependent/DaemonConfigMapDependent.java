package io.osdeploy.operator.dependent;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.config.DaemonConfig;
import io.osdeploy.operator.reconciler.DistributionPointContext;

/** The daemon's configuration, one JSON document ({@link DaemonConfig}). */
@KubernetesDependent(informer = @Informer(labelSelector = DaemonResources.MANAGED_SELECTOR))
public class DaemonConfigMapDependent
    extends CRUDKubernetesDependentResource<ConfigMap, DistributionPoint> {
  public DaemonConfigMapDependent() {
    super(ConfigMap.class);
  }

  @Override
  protected ConfigMap desired(DistributionPoint dp, Context<DistributionPoint> context) {
    DaemonConfig config = DistributionPointContext.config(dp, context);
    return new ConfigMapBuilder()
        .withMetadata(DaemonResources.metadata(dp))
        .addToData(DaemonConfig.CONFIG_KEY, config.toJson())
        .build();
  }
}
