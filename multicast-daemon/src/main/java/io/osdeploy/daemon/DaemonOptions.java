package io.osdeploy.daemon;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * What the daemon's command line ({@link DaemonCommand}) says, checked, with the defaults that the
 * environment gives.
 *
 * @param node {@code --node}, default the environment's {@code NODE_NAME}
 * @param namespace {@code --namespace}, default the client's namespace (in a pod, its own)
 * @param configMap {@code --configmap}: watch this ConfigMap through the API
 * @param configFile {@code --config}: read this file, again whenever it changes
 * @param kubeconfig {@code --kubeconfig}, default the client's own discovery (in-cluster, or {@code
 *     KUBECONFIG} / {@code ~/.kube/config})
 * @param httpPort {@code --http-port}: overrides the configuration's port; 0 picks a free one
 * @param contentPath {@code --content-path}: overrides the configuration's content path (several
 *     daemons on one machine, as in tests)
 * @param bindAddress {@code --bind-address}, default all addresses
 * @param advertiseAddress {@code --advertise-address}, default {@code POD_IP}, else the first
 *     address of an interface that is up and not loopback
 * @param bootEnvironment {@code --boot-environment}, default the environment's {@code
 *     OSDEPLOY_BOOT_ENVIRONMENT}: the directory of the boot environment to serve; null: the one in
 *     the daemon's image, if there is one
 */
public record DaemonOptions(
    String node,
    String namespace,
    String configMap,
    Path configFile,
    Path kubeconfig,
    Integer httpPort,
    Path contentPath,
    String bindAddress,
    String advertiseAddress,
    Path bootEnvironment,
    Path tlsDirectory,
    Path tokenKeys,
    Path deploymentSecrets) {

  /**
   * Reads the flags as the daemon's command line does ({@link DaemonCommand}).
   *
   * @throws IllegalArgumentException naming the flag, for what the command line refuses
   */
  public static DaemonOptions parse(List<String> args, Map<String, String> env) {
    DaemonCommand command = new DaemonCommand();
    try {
      new CommandLine(command).parseArgs(args.toArray(String[]::new));
      return command.options(env);
    } catch (ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }
}
