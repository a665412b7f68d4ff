package io.osdeploy.operator.dependent;

import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OsdeployApi;
import io.osdeploy.operator.media.MediaPasswordBook;

/**
 * What the daemon may do, and no more: read its own ConfigMap; read its DistributionPoint and patch
 * that one's status (its node's entry); read the deployments and OS images of its namespace, from
 * which it serves policy.
 */
@KubernetesDependent(informer = @Informer(labelSelector = DaemonResources.MANAGED_SELECTOR))
public class DaemonRoleDependent extends CRUDKubernetesDependentResource<Role, DistributionPoint> {
  public DaemonRoleDependent() {
    super(Role.class);
  }

  @Override
  protected Role desired(DistributionPoint dp, Context<DistributionPoint> context) {
    return new RoleBuilder()
        .withMetadata(DaemonResources.metadata(dp))
        .addToRules(
            new PolicyRuleBuilder()
                .withApiGroups("")
                .withResources("configmaps")
                // Its configuration, and the boot media password hashes it checks at boot.
                .withResourceNames(DaemonResources.name(dp), MediaPasswordBook.CONFIG_MAP)
                .withVerbs("get", "list", "watch")
                .build())
        .addToRules(
            new PolicyRuleBuilder()
                .withApiGroups(OsdeployApi.GROUP)
                .withResources("distributionpoints")
                .withResourceNames(dp.getMetadata().getName())
                .withVerbs("get", "list", "watch")
                .build())
        .addToRules(
            // Read-only: the deployment policy the daemon serves is computed from these.
            new PolicyRuleBuilder()
                .withApiGroups(OsdeployApi.GROUP)
                .withResources("tasksequencedeployments", "osimages", "bootablemedias")
                .withVerbs("get", "list", "watch")
                .build())
        .addToRules(
            new PolicyRuleBuilder()
                .withApiGroups(OsdeployApi.GROUP)
                .withResources("distributionpoints/status")
                .withResourceNames(dp.getMetadata().getName())
                .withVerbs("get", "patch")
                .build())
        .addToRules(
            // Agents' progress reports: each node applies its own entry in status.reports.
            new PolicyRuleBuilder()
                .withApiGroups(OsdeployApi.GROUP)
                .withResources("tasksequencedeployments/status")
                .withVerbs("get", "patch")
                .build())
        .build();
  }
}
