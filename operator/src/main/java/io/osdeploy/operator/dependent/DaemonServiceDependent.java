package io.osdeploy.operator.dependent;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.config.DaemonConfig;
import io.osdeploy.operator.reconciler.DistributionPointContext;

/** The daemon's HTTP endpoint (content, policy, boot, health, metrics) inside the cluster. */
@KubernetesDependent(informer = @Informer(labelSelector = DaemonResources.MANAGED_SELECTOR))
public class DaemonServiceDependent
    extends CRUDKubernetesDependentResource<Service, DistributionPoint> {
  public DaemonServiceDependent() {
    super(Service.class);
  }

  @Override
  protected Service desired(DistributionPoint dp, Context<DistributionPoint> context) {
    DaemonConfig config = DistributionPointContext.config(dp, context);
    return new ServiceBuilder()
        .withMetadata(DaemonResources.metadata(dp))
        .withNewSpec()
        .withType("ClusterIP")
        .withSelector(DaemonResources.selectorLabels(dp))
        .addNewPort()
        .withName(DaemonResources.HTTP_PORT_NAME)
        .withProtocol("TCP")
        .withPort(config.getHttpPort())
        .withTargetPort(new IntOrString(DaemonResources.HTTP_PORT_NAME))
        .endPort()
        .endSpec()
        .build();
  }
}
