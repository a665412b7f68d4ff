package io.osdeploy.daemon.http;

import io.osdeploy.api.v1alpha1.NodeStatus;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.daemon.auth.MachineAccess;
import io.osdeploy.daemon.content.VerifiedContent;
import io.osdeploy.daemon.multicast.MulticastJoin;
import io.osdeploy.daemon.policy.MediaPasswords;
import io.osdeploy.daemon.policy.PolicyRequest;
import io.osdeploy.daemon.progress.AgentReport;
import io.osdeploy.daemon.progress.ProgressCollector;
import io.osdeploy.daemon.secrets.DeploymentSecretFiles;
import io.osdeploy.daemon.userstate.UserStateStore;
import io.osdeploy.policy.PolicyDocument;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What the HTTP server answers from: whether the daemon is ready, the node's status, the verified
 * content it serves, the deployment policy it publishes, and which deployment a boot media (by
 * name) pins; where agents' progress reports go; boot media passwords; multicast joins; and the
 * state store for user state (null: none); the files of the boot environment this node serves; the
 * deployments offered to a machine that identifies itself, and what its token lets it do; whether
 * plain HTTP is off for machines (spec.tls.required); where captureImage steps upload (null:
 * nowhere); the Secret values deployments hand their machines (null: none); what is told each
 * request's route, status and time (null: nothing).
 */
public record HttpEndpoints(
    BooleanSupplier ready,
    Supplier<NodeStatus> status,
    VerifiedContent content,
    Function<PolicyRequest, PolicyDocument> policy,
    BiFunction<PolicyRequest, Boolean, String> bootScript,
    BiFunction<PolicyRequest, String, PolicyRequest> media,
    Function<AgentReport, CompletableFuture<ProgressCollector.Outcome>> progress,
    MediaPasswords mediaPasswords,
    MulticastJoin multicastJoin,
    Supplier<String> metrics,
    UserStateStore userState,
    VerifiedContent bootEnvironment,
    Function<PolicyRequest, List<TaskSequenceDeployment>> offered,
    MachineAccess access,
    BooleanSupplier tlsRequired,
    Captures captures,
    DeploymentSecretFiles secrets,
    RequestTimes requestTimes) {
  /** Told of each request served: its path, the response's status and how long it took. */
  @FunctionalInterface
  public interface RequestTimes {
    void served(String path, int status, long nanos);
  }

  /** The capture store, where this daemon is reached (for a capture's URL) and its node's name. */
  public record Captures(
      io.osdeploy.daemon.capture.CaptureStore store, Supplier<String> baseUrl, String node) {}
}
