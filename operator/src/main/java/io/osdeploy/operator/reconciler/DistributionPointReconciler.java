package io.osdeploy.operator.reconciler;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.DistributionPointStatus;
import io.osdeploy.api.v1alpha1.NodeStatus;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.auth.DeploymentSecrets;
import io.osdeploy.auth.MachineTokenKeys;
import io.osdeploy.config.DaemonConfig;
import io.osdeploy.operator.OperatorSettings;
import io.osdeploy.operator.content.ImageAssignment;
import io.osdeploy.operator.content.MulticastConflicts;
import io.osdeploy.operator.dependent.DaemonConfigMapDependent;
import io.osdeploy.operator.dependent.DaemonResources;
import io.osdeploy.operator.dependent.DaemonRoleBindingDependent;
import io.osdeploy.operator.dependent.DaemonRoleDependent;
import io.osdeploy.operator.dependent.DaemonServiceAccountDependent;
import io.osdeploy.operator.dependent.DaemonServiceDependent;
import io.osdeploy.operator.dependent.DaemonSetDependent;
import io.osdeploy.operator.status.Assessment;
import io.osdeploy.operator.status.ContentReadiness;
import io.osdeploy.operator.status.DaemonPods;
import io.osdeploy.operator.status.ResourceEvents;
import io.osdeploy.operator.status.StatusAggregator;
import io.osdeploy.operator.tokens.DeploymentSecretsSecret;
import io.osdeploy.operator.tokens.MachineTokenSecret;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A distribution point: the daemon's configuration, DaemonSet, Service and RBAC (managed
 * dependents, server-side applied, owned by the distribution point), multicast range conflicts with
 * other distribution points, and status from the DaemonSet and the nodes' reports.
 *
 * <p>While the spec conflicts, its dependents are left as they are: a bad change never takes down
 * what already runs.
 */
@Workflow(
    explicitInvocation = true,
    dependents = {
      @Dependent(name = "serviceaccount", type = DaemonServiceAccountDependent.class),
      @Dependent(name = "role", type = DaemonRoleDependent.class),
      @Dependent(name = "rolebinding", type = DaemonRoleBindingDependent.class),
      @Dependent(name = "configmap", type = DaemonConfigMapDependent.class),
      @Dependent(name = "daemonset", type = DaemonSetDependent.class),
      @Dependent(name = "service", type = DaemonServiceDependent.class)
    })
@ControllerConfiguration(name = "distributionpoint")
public class DistributionPointReconciler
    extends StatusReportingReconciler<DistributionPoint, DistributionPointStatus> {
  private static final String PEERS = "peers";
  private static final Duration RECHECK_ROLLOUT = Duration.ofSeconds(10);
  private static final Logger log = LoggerFactory.getLogger(DistributionPointReconciler.class);

  public DistributionPointReconciler(StatusAggregator aggregator) {
    super(aggregator, DistributionPointStatus::new);
  }

  @Override
  public List<EventSource<?, DistributionPoint>> prepareEventSources(
      EventSourceContext<DistributionPoint> context) {
    var images =
        InformerEventSourceConfiguration.from(OSImage.class, DistributionPoint.class)
            .withSecondaryToPrimaryMapper(
                (OSImage image) ->
                    context
                        .getPrimaryCache()
                        .list(image.getMetadata().getNamespace())
                        .filter(dp -> ImageAssignment.holds(dp, image) || names(dp, image))
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
            .withNamespacesInheritedFromController()
            .build();
    // A change to one distribution point can start or end a conflict with any other.
    var peers =
        InformerEventSourceConfiguration.from(DistributionPoint.class, DistributionPoint.class)
            .withName(PEERS)
            .withSecondaryToPrimaryMapper(
                (DistributionPoint changed) ->
                    context
                        .getPrimaryCache()
                        .list()
                        .filter(
                            dp ->
                                !ResourceID.fromResource(dp)
                                    .equals(ResourceID.fromResource(changed)))
                        .filter(dp -> dp.getSpec().getMulticast() != null)
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
            .withOnUpdateFilter(
                (newer, older) ->
                    !java.util.Objects.equals(newer.getSpec(), older.getSpec())
                        || !java.util.Objects.equals(
                            newer.getMetadata().getGeneration(),
                            older.getMetadata().getGeneration()))
            .withNamespacesInheritedFromController()
            .build();
    // The daemon pods, so that one that cannot start shows at once.
    var pods =
        InformerEventSourceConfiguration.from(Pod.class, DistributionPoint.class)
            .withLabelSelector(DaemonResources.POD_SELECTOR)
            .withSecondaryToPrimaryMapper(
                (Pod pod) -> {
                  String dp = pod.getMetadata().getLabels().get(DaemonResources.INSTANCE_LABEL);
                  return dp == null
                      ? Set.of()
                      : Set.of(new ResourceID(dp, pod.getMetadata().getNamespace()));
                })
            .withNamespacesInheritedFromController()
            .build();
    // The deployments that name a distribution point: their Secret values go to its daemons.
    var deploymentConfig =
        InformerEventSourceConfiguration.from(TaskSequenceDeployment.class, DistributionPoint.class)
            // Every distribution point of the namespace: one the deployment no longer names must
            // drop its values too, and an update event carries only the new spec.
            .withSecondaryToPrimaryMapper(
                (TaskSequenceDeployment d) ->
                    context
                        .getPrimaryCache()
                        .list(d.getMetadata().getNamespace())
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
            // Progress changes a deployment's status many times a second; only its spec counts.
            .withOnUpdateFilter(
                (newer, older) ->
                    !java.util.Objects.equals(
                        newer.getMetadata().getGeneration(), older.getMetadata().getGeneration()))
            .withNamespacesInheritedFromController()
            .build();
    var deployments = new InformerEventSource<>(deploymentConfig, context);
    return List.of(
        new InformerEventSource<>(images, context),
        new InformerEventSource<>(peers, context),
        new InformerEventSource<>(pods, context),
        deployments,
        // The certificate's Secret, or one a deployment names, appearing or changing is seen at
        // once.
        References.watchSecrets(
            context,
            DistributionPoint.class,
            DistributionPointReconciler::tlsSecret,
            (Secret secret) ->
                deployments
                    .list(secret.getMetadata().getNamespace())
                    .filter(
                        d ->
                            DeploymentSecrets.of(d.getSpec()).stream()
                                .anyMatch(e -> e.secret().equals(secret.getMetadata().getName())))
                    .flatMap(d -> distributionPointsOf(d, context).stream())
                    .collect(Collectors.toSet())));
  }

  private static Set<ResourceID> distributionPointsOf(
      TaskSequenceDeployment d, EventSourceContext<DistributionPoint> context) {
    if (d.getSpec() == null || d.getSpec().getDistributionPoints() == null) {
      return Set.of();
    }
    String ns = d.getMetadata().getNamespace();
    return d.getSpec().getDistributionPoints().stream()
        .map(name -> new ResourceID(name, ns))
        .collect(Collectors.toSet());
  }

  /** The Secret values of the deployments that name {@code dp}, from the informer caches. */
  private static Map<String, String> deploymentSecrets(
      DistributionPoint dp, Context<DistributionPoint> context) {
    @SuppressWarnings("unchecked")
    InformerEventSource<TaskSequenceDeployment, DistributionPoint> deployments =
        (InformerEventSource<TaskSequenceDeployment, DistributionPoint>)
            context.eventSourceRetriever().getEventSourceFor(TaskSequenceDeployment.class);
    String ns = dp.getMetadata().getNamespace();
    return DeploymentSecretsSecret.desired(
        dp,
        deployments.list(ns).toList(),
        (secret, key) ->
            References.lookup(context, Secret.class, ns, secret)
                .filter(DeploymentSecretChecks::labelled)
                .map(s -> DeploymentSecretChecks.value(s, key)));
  }

  /** The Secrets a distribution point names: its TLS certificate and its PXE password. */
  static List<String> tlsSecret(DistributionPoint dp) {
    if (dp.getSpec() == null) {
      return List.of();
    }
    List<String> names = new ArrayList<>();
    if (dp.getSpec().getTls() != null) {
      names.add(dp.getSpec().getTls().getSecretName());
    }
    DistributionPointContext.pxePasswordSecret(dp).ifPresent(names::add);
    return names;
  }

  private static boolean names(DistributionPoint dp, OSImage image) {
    return dp.getSpec().getOsImages() != null
        && dp.getSpec().getOsImages().getNames() != null
        && dp.getSpec().getOsImages().getNames().contains(image.getMetadata().getName());
  }

  /** Per DistributionPoint and node, the content last recorded as verified there. */
  private final Map<String, String> verifiedOnNode = new ConcurrentHashMap<>();

  /** A node that now holds every assigned image verified, once per set of images. */
  @Override
  protected void recordTransitions(
      DistributionPoint dp,
      DistributionPointStatus current,
      DistributionPointStatus next,
      Context<DistributionPoint> context) {
    if (dp.getStatus() == null || dp.getStatus().getNodes() == null) {
      return;
    }
    List<OSImage> assigned = DistributionPointContext.assignedImages(dp, context);
    if (assigned.isEmpty()) {
      return;
    }
    if (verifiedOnNode.size() > 10_000) {
      // Bounded: forgetting only means a node's next verification is recorded again.
      verifiedOnNode.clear();
    }
    String content =
        assigned.stream()
            .map(i -> i.getMetadata().getName() + "@" + i.getSpec().getSha256())
            .sorted()
            .collect(Collectors.joining(","));
    for (NodeStatus node : dp.getStatus().getNodes()) {
      boolean verified = assigned.stream().allMatch(i -> ContentReadiness.verified(node, i));
      String key = dp.getMetadata().getUid() + "/" + node.getName();
      if (verified && !content.equals(verifiedOnNode.put(key, content))) {
        ResourceEvents.record(
            context.getClient(),
            dp,
            ResourceEvents.NORMAL,
            "ContentVerifiedOnNode",
            node.getName()
                + ": "
                + assigned.size()
                + (assigned.size() == 1 ? " image" : " images")
                + " verified ("
                + assigned.stream()
                    .map(i -> i.getMetadata().getName())
                    .sorted()
                    .collect(Collectors.joining(", "))
                + ")");
      } else if (!verified) {
        verifiedOnNode.remove(key);
      }
    }
  }

  @Override
  protected void clearForeignFields(DistributionPointStatus status) {
    status.setNodes(null);
  }

  @Override
  protected Assessment assess(
      DistributionPoint dp, DistributionPointStatus next, Context<DistributionPoint> context) {
    // Before anything can stall: a value deleted or rotated leaves the daemons' copy at once.
    try {
      DeploymentSecretsSecret.reconcile(context.getClient(), dp, deploymentSecrets(dp, context));
    } catch (KubernetesClientException e) {
      log.warn(
          "{}/{}: deployment secrets not written: {}",
          dp.getMetadata().getNamespace(),
          DeploymentSecretsSecret.name(dp),
          e.getMessage());
    }
    DaemonConfig config = DistributionPointContext.config(dp, context);
    List<String> problems = config.problems();
    if (!problems.isEmpty()) {
      return Assessment.stalled("InvalidConfiguration", String.join("; ", problems));
    }
    // A directory the operator does not allow: nothing is changed on any node.
    Optional<String> hostile =
        OperatorSettings.current().contentPathProblem(config.getContentPath());
    if (hostile.isPresent()) {
      return Assessment.stalled("ContentPathNotAllowed", hostile.get());
    }
    @SuppressWarnings("unchecked")
    InformerEventSource<DistributionPoint, DistributionPoint> peers =
        (InformerEventSource<DistributionPoint, DistributionPoint>)
            context.eventSourceRetriever().getEventSourceFor(DistributionPoint.class, PEERS);
    Optional<DistributionPoint> conflict =
        MulticastConflicts.olderConflict(dp, peers.list().toList());
    if (conflict.isPresent()) {
      DistributionPoint other = conflict.get();
      return Assessment.stalled(
          "MulticastRangeConflict",
          "spec.multicast.addressRange and spec.multicast.portRange overlap with the older"
              + " DistributionPoint "
              + other.getMetadata().getNamespace()
              + "/"
              + other.getMetadata().getName()
              + " ("
              + other.getSpec().getMulticast().getAddressRange().getStart()
              + "-"
              + other.getSpec().getMulticast().getAddressRange().getEnd()
              + ", ports "
              + other.getSpec().getMulticast().getPortRange().getStart()
              + "-"
              + other.getSpec().getMulticast().getPortRange().getEnd()
              + "); choose ranges that do not overlap");
    }
    // The keys first: the daemon pods mount them.
    MachineTokenSecret.reconcile(
        context.getClient(), dp, java.time.Instant.now(), MachineTokenKeys.ROTATION);
    context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();

    List<String> missing = missingImages(dp, context);
    tlsProblem(dp, context).ifPresent(missing::add);
    pxePasswordProblem(dp, context).ifPresent(missing::add);
    DaemonSet ds = context.getSecondaryResource(DaemonSet.class).orElse(null);
    if (ds != null && ds.getStatus() != null) {
      next.setDesiredNodes(ds.getStatus().getDesiredNumberScheduled());
      next.setReadyNodes(ds.getStatus().getNumberReady());
    }
    if (!missing.isEmpty()) {
      return Assessment.reconciling(
          "WaitingForReferences", "not found: " + String.join("; ", missing));
    }
    Optional<Assessment> rollout = ContentReadiness.rollout(ds);
    if (rollout.isPresent()) {
      return whyPodsDoNotRun(ds, context).orElse(rollout.get());
    }
    Optional<Assessment> https = withoutHttps(dp);
    if (https.isPresent()) {
      return https.get();
    }
    return ContentReadiness.content(
        dp,
        DistributionPointContext.assignedImages(dp, context),
        ds.getStatus().getDesiredNumberScheduled());
  }

  /**
   * While the daemon rolls out: a pod that cannot start, or pods the DaemonSet could not create
   * (told by its FailedCreate events, listed only then).
   */
  private static Optional<Assessment> whyPodsDoNotRun(
      DaemonSet ds, Context<DistributionPoint> context) {
    List<Pod> pods = context.getSecondaryResources(Pod.class).stream().toList();
    Optional<Assessment> failing = DaemonPods.failing(pods);
    if (failing.isPresent() || ds == null || ds.getStatus() == null) {
      return failing;
    }
    Integer desired = ds.getStatus().getDesiredNumberScheduled();
    if (desired == null || pods.size() >= desired) {
      return Optional.empty();
    }
    try {
      List<Event> events =
          context
              .getClient()
              .v1()
              .events()
              .inNamespace(ds.getMetadata().getNamespace())
              .withField("involvedObject.kind", "DaemonSet")
              .withField("involvedObject.name", ds.getMetadata().getName())
              .list()
              .getItems();
      return DaemonPods.refused(events);
    } catch (KubernetesClientException e) {
      log.warn("cannot list the events of DaemonSet {}", ds.getMetadata().getName(), e);
      return Optional.empty();
    }
  }

  /** Pods the DaemonSet has not created may be refused again at any time: look again soon. */
  @Override
  protected Duration recheckAfter(Assessment assessment) {
    return "RollingOut".equals(assessment.reason())
            || "DaemonPodsNotCreated".equals(assessment.reason())
        ? RECHECK_ROLLOUT
        : super.recheckAfter(assessment);
  }

  /** The Secret of {@code spec.pxe.passwordSecretRef}: missing, or without a password. */
  private static Optional<String> pxePasswordProblem(
      DistributionPoint dp, Context<DistributionPoint> context) {
    return DistributionPointContext.pxePasswordSecret(dp)
        .filter(name -> DistributionPointContext.pxePasswordHash(dp, context).isEmpty())
        .map(
            name ->
                "spec.pxe.passwordSecretRef: a non-empty key "
                    + DistributionPointContext.pxePasswordKey(dp)
                    + " in "
                    + References.secretWanted(dp.getMetadata().getNamespace(), name));
  }

  /** The Secret of {@code spec.tls}: missing, or without a certificate and key. */
  private static Optional<String> tlsProblem(
      DistributionPoint dp, Context<DistributionPoint> context) {
    if (dp.getSpec().getTls() == null) {
      return Optional.empty();
    }
    String ns = dp.getMetadata().getNamespace();
    String name = dp.getSpec().getTls().getSecretName();
    Optional<Secret> secret = References.lookup(context, Secret.class, ns, name);
    if (secret.isEmpty()) {
      return Optional.of("spec.tls.secretName: " + References.secretWanted(ns, name));
    }
    Map<String, String> data = secret.get().getData();
    if (data == null || !data.containsKey("tls.crt") || !data.containsKey("tls.key")) {
      return Optional.of("spec.tls.secretName: tls.crt and tls.key in Secret " + ns + "/" + name);
    }
    return Optional.empty();
  }

  /**
   * Nodes that report no HTTPS endpoint although the distribution point has {@code spec.tls}: their
   * daemon could not use the certificate (its log says why) or has not read it yet.
   */
  private static Optional<Assessment> withoutHttps(DistributionPoint dp) {
    if (dp.getSpec().getTls() == null
        || dp.getStatus() == null
        || dp.getStatus().getNodes() == null) {
      return Optional.empty();
    }
    List<String> without =
        dp.getStatus().getNodes().stream()
            .filter(node -> node.getHttpsEndpoint() == null)
            .map(NodeStatus::getName)
            .sorted()
            .toList();
    if (without.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        Assessment.reconciling(
            "WaitingForHttps",
            "spec.tls: no HTTPS endpoint reported yet by "
                + String.join(", ", without)
                + " (a certificate the daemon cannot use is named in its log)"));
  }

  private static List<String> missingImages(
      DistributionPoint dp, Context<DistributionPoint> context) {
    String ns = dp.getMetadata().getNamespace();
    List<String> names =
        dp.getSpec().getOsImages() == null || dp.getSpec().getOsImages().getNames() == null
            ? List.of()
            : dp.getSpec().getOsImages().getNames();
    List<String> missing = new java.util.ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      if (References.lookup(context, OSImage.class, ns, names.get(i)).isEmpty()) {
        missing.add("spec.osImages.names[" + i + "]: OSImage " + ns + "/" + names.get(i));
      }
    }
    return missing;
  }
}
