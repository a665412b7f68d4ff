package io.osdeploy.operator;

import io.osdeploy.operator.local.LocalRun;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code run}: in a pod, the operator as its Deployment runs it ({@link InClusterRun}); elsewhere,
 * against the cluster in KUBECONFIG or an embedded one, with the status table shown live ({@link
 * LocalRun}).
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpWidth = 100,
    description = {
      "Run the operator, showing the resources' status live.",
      "With KUBECONFIG set, against that cluster (the CRDs are installed first); in a pod, as the"
          + " Deployment in deploy/; else against a local kube-apiserver and etcd with the samples"
          + " applied."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:done (with --until-ready: every resource Ready in time)",
      "1:not Ready in time, a local machine or receiver failed, or (in a pod) the lead was lost",
      "2:bad usage, or OSDEPLOY_* settings the operator cannot use"
    })
final class RunCommand implements Callable<Integer> {
  /** How many QEMU machines a local run boots at most. */
  private static final int MAX_VMS = 64;

  @Spec private CommandSpec spec;

  @Option(
      names = "--samples",
      paramLabel = "DIR",
      description = "apply this folder instead of samples/ (local run)")
  private Path samples;

  @ArgGroup(exclusive = true)
  private Deadline deadline;

  /** At most one of {@code --until-ready} and {@code --until-observed}. */
  static final class Deadline {
    @Option(
        names = "--until-ready",
        paramLabel = "SECONDS",
        description = "exit 0 once every resource is Ready, 1 if not within SECONDS")
    private Long ready;

    @Option(
        names = "--until-observed",
        paramLabel = "SECONDS",
        description = "as --until-ready, but Ready or observed by the operator is enough")
    private Long observed;
  }

  @Option(
      names = "--vms",
      paramLabel = "N",
      description =
          "N QEMU machines boot the built media and deploy a small system from the local"
              + " distribution point (local run, through ./scripts/run.sh --vms N; at most 64)")
  private long vms;

  @Option(
      names = "--daemon-jar",
      paramLabel = "JAR",
      description = "the daemon's jar a local run starts (default: ${DEFAULT-VALUE})")
  private Path daemonJar = Path.of("multicast-daemon", "target", "osdeploy-daemon.jar");

  @Option(
      names = "--agent-jar",
      paramLabel = "JAR",
      description = "the agent's jar a local run starts (default: ${DEFAULT-VALUE})")
  private Path agentJar = Path.of("agent", "target", "osdeploy-agent.jar");

  @Override
  public Integer call() throws Exception {
    Duration untilReady = null;
    boolean observedIsEnough = false;
    if (deadline != null) {
      observedIsEnough = deadline.observed != null;
      long seconds = observedIsEnough ? deadline.observed : deadline.ready;
      untilReady =
          Duration.ofSeconds(
              notNegative(observedIsEnough ? "--until-observed" : "--until-ready", seconds));
    }
    int machines = (int) Math.min(notNegative("--vms", vms), MAX_VMS);
    boolean inCluster = InClusterRun.detected();
    if (!inCluster) {
      LocalRun.logToFile();
    }
    OperatorSettings settings;
    try {
      settings = OperatorSettings.fromEnvironment();
    } catch (IllegalArgumentException e) {
      System.err.println("run: " + e.getMessage());
      return Main.USAGE;
    }
    if (inCluster) {
      return InClusterRun.run(settings);
    }
    return LocalRun.run(
        settings,
        new LocalRun.Request(samples, daemonJar, agentJar, untilReady, observedIsEnough, machines));
  }

  private long notNegative(String flag, long value) {
    if (value < 0) {
      throw new ParameterException(
          spec.commandLine(),
          flag
              + ": not a number of "
              + (flag.equals("--vms") ? "machines" : "seconds")
              + ": "
              + value);
    }
    return value;
  }
}
