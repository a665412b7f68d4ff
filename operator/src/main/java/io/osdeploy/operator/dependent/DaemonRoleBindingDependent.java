package io.osdeploy.operator.dependent;

import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.osdeploy.api.v1alpha1.DistributionPoint;

/** Grants the daemon's ServiceAccount its Role. */
@KubernetesDependent(informer = @Informer(labelSelector = DaemonResources.MANAGED_SELECTOR))
public class DaemonRoleBindingDependent
    extends CRUDKubernetesDependentResource<RoleBinding, DistributionPoint> {
  public DaemonRoleBindingDependent() {
    super(RoleBinding.class);
  }

  @Override
  protected RoleBinding desired(DistributionPoint dp, Context<DistributionPoint> context) {
    return new RoleBindingBuilder()
        .withMetadata(DaemonResources.metadata(dp))
        .withNewRoleRef()
        .withApiGroup("rbac.authorization.k8s.io")
        .withKind("Role")
        .withName(DaemonResources.name(dp))
        .endRoleRef()
        .addNewSubject()
        .withKind("ServiceAccount")
        .withName(DaemonResources.name(dp))
        .withNamespace(dp.getMetadata().getNamespace())
        .endSubject()
        .build();
  }
}
