package io.osdeploy.operator.reconciler;

import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentStatus;
import io.osdeploy.auth.DeploymentSecrets;
import io.osdeploy.operator.content.DeploymentContent;
import io.osdeploy.operator.status.Assessment;
import io.osdeploy.operator.status.ProgressRollup;
import io.osdeploy.operator.status.ResourceEvents;
import io.osdeploy.operator.status.StatusAggregator;
import io.osdeploy.operator.validation.DeploymentChecks;
import io.osdeploy.operator.validation.Problem;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** Resolves a deployment's OS images and distribution points, and checks its target. */
// Daemons write progress into the status, which changes no generation: every event counts.
@ControllerConfiguration(name = "tasksequencedeployment", generationAwareEventProcessing = false)
public class TaskSequenceDeploymentReconciler
    extends StatusReportingReconciler<TaskSequenceDeployment, TaskSequenceDeploymentStatus> {
  public TaskSequenceDeploymentReconciler(StatusAggregator aggregator) {
    super(aggregator, TaskSequenceDeploymentStatus::new);
  }

  @Override
  public List<EventSource<?, TaskSequenceDeployment>> prepareEventSources(
      EventSourceContext<TaskSequenceDeployment> context) {
    return List.of(
        References.watchReferenced(
            context,
            OSImage.class,
            TaskSequenceDeployment.class,
            TaskSequenceDeploymentReconciler::osImages),
        References.watchReferenced(
            context,
            DistributionPoint.class,
            TaskSequenceDeployment.class,
            TaskSequenceDeploymentReconciler::distributionPoints),
        References.watchSecrets(
            context, TaskSequenceDeployment.class, TaskSequenceDeploymentReconciler::secrets));
  }

  /** The Secrets a deployment's steps name. */
  static List<String> secrets(TaskSequenceDeployment deployment) {
    return DeploymentSecrets.of(deployment.getSpec()).stream()
        .map(DeploymentSecrets.Entry::secret)
        .distinct()
        .toList();
  }

  /** A deployment's first failed machine, and the moment every targeted machine has finished. */
  @Override
  protected void recordTransitions(
      TaskSequenceDeployment deployment,
      TaskSequenceDeploymentStatus current,
      TaskSequenceDeploymentStatus next,
      Context<TaskSequenceDeployment> context) {
    TaskSequenceDeploymentStatus.MachineCounts before = current.getMachines();
    TaskSequenceDeploymentStatus.MachineCounts after = next.getMachines();
    if (after == null) {
      return;
    }
    if (count(before == null ? null : before.getFailed()) == 0
        && count(after.getFailed()) > 0
        && !next.getRecentFailures().isEmpty()) {
      TaskSequenceDeploymentStatus.MachineFailure f = next.getRecentFailures().get(0);
      ResourceEvents.record(
          context.getClient(),
          deployment,
          ResourceEvents.WARNING,
          "MachineFailed",
          f.getMachine()
              + " failed at step "
              + f.getStep()
              + (f.getStepName() == null ? "" : " (" + f.getStepName() + ")")
              + ": "
              + f.getMessage());
    }
    if (done(after) && (before == null || !done(before))) {
      ResourceEvents.record(
          context.getClient(),
          deployment,
          count(after.getFailed()) == 0 ? ResourceEvents.NORMAL : ResourceEvents.WARNING,
          "AllMachinesDone",
          "all "
              + count(after.getTargeted())
              + " targeted machines finished: "
              + count(after.getSucceeded())
              + " succeeded, "
              + count(after.getFailed())
              + " failed");
    }
  }

  private static boolean done(TaskSequenceDeploymentStatus.MachineCounts m) {
    return count(m.getTargeted()) > 0
        && count(m.getSucceeded()) + count(m.getFailed()) == count(m.getTargeted());
  }

  private static int count(Integer n) {
    return n == null ? 0 : n;
  }

  @Override
  protected Assessment assess(
      TaskSequenceDeployment deployment,
      TaskSequenceDeploymentStatus next,
      Context<TaskSequenceDeployment> context) {
    rollUpProgress(deployment, next);
    List<Problem> problems = DeploymentChecks.problems(deployment.getSpec());
    if (!problems.isEmpty()) {
      return Assessment.stalled(
          "InvalidSpec",
          problems.stream()
              .map(p -> p.field() + ": " + p.message())
              .collect(Collectors.joining("; ")));
    }
    String ns = deployment.getMetadata().getNamespace();
    List<String> missing = new ArrayList<>();
    Map<String, OSImage> images = new HashMap<>();
    Map<String, DistributionPoint> dps = new HashMap<>();
    for (DeploymentContent.ImageUse use : DeploymentContent.uses(deployment)) {
      if (images.containsKey(use.image())) {
        continue;
      }
      Optional<OSImage> found = References.lookup(context, OSImage.class, ns, use.image());
      found.ifPresent(f -> images.put(use.image(), f));
      if (found.isEmpty()) {
        missing.add(use.field() + ": OSImage " + ns + "/" + use.image());
      }
    }
    List<String> dpNames = distributionPoints(deployment);
    for (int i = 0; i < dpNames.size(); i++) {
      Optional<DistributionPoint> found =
          References.lookup(context, DistributionPoint.class, ns, dpNames.get(i));
      int index = i;
      found.ifPresent(f -> dps.put(dpNames.get(index), f));
      if (found.isEmpty()) {
        missing.add(
            "spec.distributionPoints[" + i + "]: DistributionPoint " + ns + "/" + dpNames.get(i));
      }
    }
    Assessment content = DeploymentContent.assess(deployment, images, dps);
    if (content.state() == Assessment.State.STALLED) {
      return content;
    }
    Optional<Assessment> secrets = DeploymentSecretChecks.assess(deployment, dps, context, missing);
    if (secrets.isPresent()) {
      return secrets.get();
    }
    if (!missing.isEmpty()) {
      return Assessment.reconciling(
          "WaitingForReferences", "not found: " + String.join("; ", missing));
    }
    return content;
  }

  @Override
  protected void clearForeignFields(TaskSequenceDeploymentStatus status) {
    status.setReports(null);
  }

  private static void rollUpProgress(
      TaskSequenceDeployment deployment, TaskSequenceDeploymentStatus next) {
    if (deployment.getSpec() == null) {
      return;
    }
    ProgressRollup.Result progress =
        ProgressRollup.rollup(
            deployment.getSpec(),
            deployment.getStatus() == null ? List.of() : deployment.getStatus().getReports());
    next.setMachines(progress.counts());
    next.setRecentFailures(progress.recentFailures());
    next.setCaptures(progress.captures());
  }

  /** The OSImages the deployment's steps name: images they apply and packages they fetch. */
  static List<String> osImages(TaskSequenceDeployment deployment) {
    return DeploymentContent.uses(deployment).stream()
        .map(DeploymentContent.ImageUse::image)
        .distinct()
        .toList();
  }

  static List<String> distributionPoints(TaskSequenceDeployment deployment) {
    if (deployment.getSpec() == null || deployment.getSpec().getDistributionPoints() == null) {
      return List.of();
    }
    return deployment.getSpec().getDistributionPoints();
  }
}
