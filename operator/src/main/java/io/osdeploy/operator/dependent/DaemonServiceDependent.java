package io.osdeploy.operator.dependent;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.config.DaemonConfig;
import io.osdeploy.operator.reconciler.DistributionPointContext;
import java.util.ArrayList;
import java.util.List;

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
    List<ServicePort> ports = new ArrayList<>();
    ports.add(port(DaemonResources.HTTP_PORT_NAME, config.getHttpPort()));
    if (config.getHttpsPort() != null) {
      ports.add(port(DaemonResources.HTTPS_PORT_NAME, config.getHttpsPort()));
    }
    return new ServiceBuilder()
        .withMetadata(DaemonResources.metadata(dp))
        .withNewSpec()
        .withType("ClusterIP")
        .withSelector(DaemonResources.selectorLabels(dp))
        .withPorts(ports)
        .endSpec()
        .build();
  }

  private static ServicePort port(String name, int port) {
    return new ServicePortBuilder()
        .withName(name)
        .withProtocol("TCP")
        .withPort(port)
        .withTargetPort(new IntOrString(name))
        .build();
  }
}
