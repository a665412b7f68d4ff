package io.osdeploy.operator.dependent;

import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.osdeploy.api.v1alpha1.DistributionPoint;

/** The identity of the daemon's pods. */
@KubernetesDependent(informer = @Informer(labelSelector = DaemonResources.MANAGED_SELECTOR))
public class DaemonServiceAccountDependent
    extends CRUDKubernetesDependentResource<ServiceAccount, DistributionPoint> {
  public DaemonServiceAccountDependent() {
    super(ServiceAccount.class);
  }

  @Override
  protected ServiceAccount desired(DistributionPoint dp, Context<DistributionPoint> context) {
    return new ServiceAccountBuilder()
        .withMetadata(DaemonResources.metadata(dp))
        .withAutomountServiceAccountToken(true)
        .build();
  }
}
