package io.osdeploy.operator.dependent;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.CapabilitiesBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.config.DaemonConfig;
import io.osdeploy.operator.OperatorSettings;
import io.osdeploy.operator.content.DaemonConfigs;
import io.osdeploy.operator.reconciler.DistributionPointContext;
import io.osdeploy.operator.tokens.DeploymentSecretsSecret;
import io.osdeploy.operator.tokens.MachineTokenSecret;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The multicast daemon on every node of the distribution point: host network (multicast and PXE
 * must reach the site's LAN), the content library on the node's disk, non-root with no capabilities
 * beyond binding PXE's low ports when PXE is on.
 */
@KubernetesDependent(informer = @Informer(labelSelector = DaemonResources.MANAGED_SELECTOR))
public class DaemonSetDependent
    extends CRUDKubernetesDependentResource<DaemonSet, DistributionPoint> {
  /** The daemon's user: not root, and the owner of the content library on the node. */
  static final long DAEMON_UID = 65532;

  static final String TLS_VOLUME = "tls";
  static final String TOKEN_KEYS_VOLUME = "machine-tokens";
  static final String DEPLOYMENT_SECRETS_VOLUME = "deployment-secrets";

  public DaemonSetDependent() {
    super(DaemonSet.class);
  }

  @Override
  protected DaemonSet desired(DistributionPoint dp, Context<DistributionPoint> context) {
    OperatorSettings settings = OperatorSettings.current();
    DaemonConfig config = DistributionPointContext.config(dp, context);
    String contentPath = config.getContentPath();
    Map<String, String> selector = DaemonResources.selectorLabels(dp);
    return new DaemonSetBuilder()
        .withMetadata(DaemonResources.metadata(dp))
        .withNewSpec()
        .withNewSelector()
        .withMatchLabels(selector)
        .endSelector()
        .withNewUpdateStrategy()
        .withType("RollingUpdate")
        .withNewRollingUpdate()
        .withMaxUnavailable(new IntOrString(1))
        .endRollingUpdate()
        .endUpdateStrategy()
        .withNewTemplate()
        .withNewMetadata()
        .withLabels(DaemonResources.labels(dp))
        .withAnnotations(
            Map.of(DaemonResources.CONFIG_HASH_ANNOTATION, DaemonConfigs.restartHash(config)))
        .endMetadata()
        .withNewSpec()
        .withHostNetwork(true)
        .withDnsPolicy("ClusterFirstWithHostNet")
        .withServiceAccountName(DaemonResources.name(dp))
        // Empty selectors and lists are left out: the API server drops them, and sending them
        // would read as a difference on every reconcile.
        .withNodeSelector(emptyToNull(dp.getSpec().getNodeSelector()))
        .withTolerations(emptyToNull(dp.getSpec().getTolerations()))
        .withTerminationGracePeriodSeconds(30L)
        .withNewSecurityContext()
        .withRunAsNonRoot(true)
        .withRunAsUser(DAEMON_UID)
        .withRunAsGroup(DAEMON_UID)
        // The machine-token keys (and the Secret of spec.tls) are mounted readable by this group
        // only.
        .withFsGroup(DAEMON_UID)
        .withNewSeccompProfile()
        .withType("RuntimeDefault")
        .endSeccompProfile()
        .endSecurityContext()
        .withInitContainers(prepareContent(settings, contentPath))
        .withContainers(daemon(settings, dp, config))
        .withVolumes(volumes(dp, contentPath))
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  private static List<Volume> volumes(DistributionPoint dp, String contentPath) {
    List<Volume> volumes = new ArrayList<>();
    volumes.add(
        new VolumeBuilder()
            .withName("content")
            .withNewHostPath()
            .withPath(contentPath)
            .withType("DirectoryOrCreate")
            .endHostPath()
            .build());
    volumes.add(new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build());
    // The operator creates the keys before the DaemonSet: a pod never starts without them.
    volumes.add(
        new VolumeBuilder()
            .withName(TOKEN_KEYS_VOLUME)
            .withNewSecret()
            .withSecretName(MachineTokenSecret.name(dp))
            .withDefaultMode(0440)
            .endSecret()
            .build());
    // Created with the keys; optional all the same, as no pod should wait for it.
    volumes.add(
        new VolumeBuilder()
            .withName(DEPLOYMENT_SECRETS_VOLUME)
            .withNewSecret()
            .withSecretName(DeploymentSecretsSecret.name(dp))
            .withDefaultMode(0440)
            .withOptional(true)
            .endSecret()
            .build());
    if (dp.getSpec().getTls() != null) {
      // Optional: a missing Secret leaves the daemon serving HTTP, and the DistributionPoint says
      // which Secret it waits for, rather than a pod stuck in ContainerCreating.
      volumes.add(
          new VolumeBuilder()
              .withName(TLS_VOLUME)
              .withNewSecret()
              .withSecretName(dp.getSpec().getTls().getSecretName())
              .withOptional(true)
              .withDefaultMode(0440)
              .endSecret()
              .build());
    }
    return volumes;
  }

  /**
   * The kubelet creates a missing hostPath directory owned by root; this hands it to the daemon's
   * user, with CHOWN as the only capability.
   */
  private static Container prepareContent(OperatorSettings settings, String contentPath) {
    return new ContainerBuilder()
        .withName("prepare-content")
        .withImage(settings.daemonImage())
        .withImagePullPolicy(settings.daemonImagePullPolicy())
        .withCommand("chown", DAEMON_UID + ":" + DAEMON_UID, contentPath)
        // chown's complaint ("Read-only file system") is what the DistributionPoint shows.
        .withTerminationMessagePolicy("FallbackToLogsOnError")
        .withSecurityContext(
            new SecurityContextBuilder()
                .withRunAsNonRoot(false)
                .withRunAsUser(0L)
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withCapabilities(
                    new CapabilitiesBuilder().withDrop("ALL").withAdd("CHOWN").build())
                .build())
        .withVolumeMounts(
            new VolumeMountBuilder().withName("content").withMountPath(contentPath).build())
        .withNewResources()
        .withRequests(Map.of("cpu", new Quantity("10m"), "memory", new Quantity("16Mi")))
        .withLimits(Map.of("memory", new Quantity("64Mi")))
        .endResources()
        .build();
  }

  static Container daemon(OperatorSettings settings, DistributionPoint dp, DaemonConfig config) {
    Capabilities capabilities =
        config.isPxeEnabled()
            ? new CapabilitiesBuilder().withDrop("ALL").withAdd("NET_BIND_SERVICE").build()
            : new CapabilitiesBuilder().withDrop("ALL").build();
    return new ContainerBuilder()
        .withName("daemon")
        .withImage(settings.daemonImage())
        .withImagePullPolicy(settings.daemonImagePullPolicy())
        .withArgs(
            "--node=$(NODE_NAME)",
            "--namespace=" + dp.getMetadata().getNamespace(),
            "--configmap=" + DaemonResources.name(dp),
            "--advertise-address=$(POD_IP)")
        .withEnv(
            new EnvVarBuilder()
                .withName("NODE_NAME")
                .withNewValueFrom()
                .withNewFieldRef()
                // Spelled out as the API server defaults it, so it never reads as a change.
                .withApiVersion("v1")
                .withFieldPath("spec.nodeName")
                .endFieldRef()
                .endValueFrom()
                .build(),
            new EnvVarBuilder()
                .withName("POD_IP")
                .withNewValueFrom()
                .withNewFieldRef()
                .withApiVersion("v1")
                .withFieldPath("status.podIP")
                .endFieldRef()
                .endValueFrom()
                .build(),
            new EnvVarBuilder()
                .withName("JAVA_TOOL_OPTIONS")
                .withValue("-XX:MaxRAMPercentage=75")
                .build())
        // The operator's own log format and level, where its Deployment sets them.
        .addAllToEnv(
            settings.daemonLogging().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .map(e -> new EnvVarBuilder().withName(e.getKey()).withValue(e.getValue()).build())
                .toList())
        .withPorts(ports(config))
        // The last lines of its log (why it stopped) are what the DistributionPoint shows.
        .withTerminationMessagePolicy("FallbackToLogsOnError")
        .withReadinessProbe(probe("/readyz", config.getHttpPort(), 5))
        .withLivenessProbe(probe("/healthz", config.getHttpPort(), 20))
        .withNewResources()
        .withRequests(Map.of("cpu", new Quantity("100m"), "memory", new Quantity("256Mi")))
        .withLimits(Map.of("memory", new Quantity("1Gi")))
        .endResources()
        .withSecurityContext(
            new SecurityContextBuilder()
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withCapabilities(capabilities)
                .build())
        .withVolumeMounts(mounts(config))
        .build();
  }

  private static List<ContainerPort> ports(DaemonConfig config) {
    List<ContainerPort> ports = new ArrayList<>();
    ports.add(port(DaemonResources.HTTP_PORT_NAME, config.getHttpPort()));
    if (config.getHttpsPort() != null) {
      ports.add(port(DaemonResources.HTTPS_PORT_NAME, config.getHttpsPort()));
    }
    return ports;
  }

  private static ContainerPort port(String name, int port) {
    return new ContainerPortBuilder()
        .withName(name)
        .withContainerPort(port)
        .withProtocol("TCP")
        .build();
  }

  private static List<VolumeMount> mounts(DaemonConfig config) {
    List<VolumeMount> mounts = new ArrayList<>();
    mounts.add(
        new VolumeMountBuilder()
            .withName("content")
            .withMountPath(config.getContentPath())
            .build());
    mounts.add(new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build());
    if (config.getMachineTokenDirectory() != null) {
      mounts.add(
          new VolumeMountBuilder()
              .withName(TOKEN_KEYS_VOLUME)
              .withMountPath(config.getMachineTokenDirectory())
              .withReadOnly(true)
              .build());
    }
    if (config.getDeploymentSecretsDirectory() != null) {
      mounts.add(
          new VolumeMountBuilder()
              .withName(DEPLOYMENT_SECRETS_VOLUME)
              .withMountPath(config.getDeploymentSecretsDirectory())
              .withReadOnly(true)
              .build());
    }
    if (config.getTlsDirectory() != null) {
      mounts.add(
          new VolumeMountBuilder()
              .withName(TLS_VOLUME)
              .withMountPath(config.getTlsDirectory())
              .withReadOnly(true)
              .build());
    }
    return mounts;
  }

  private static Probe probe(String path, int port, int initialDelaySeconds) {
    return new ProbeBuilder()
        .withNewHttpGet()
        .withPath(path)
        .withPort(new IntOrString(port))
        .endHttpGet()
        .withInitialDelaySeconds(initialDelaySeconds)
        .withPeriodSeconds(10)
        .withFailureThreshold(3)
        .withTimeoutSeconds(2)
        .build();
  }

  private static <K, V> Map<K, V> emptyToNull(Map<K, V> map) {
    return map == null || map.isEmpty() ? null : map;
  }

  private static <T> java.util.List<T> emptyToNull(java.util.List<T> list) {
    return list == null || list.isEmpty() ? null : list;
  }
}
