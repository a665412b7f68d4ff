package io.osdeploy.daemon;

import io.osdeploy.transfer.cli.Flags;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The command line. Each flag takes a value, as {@code --flag value} or {@code --flag=value}, once.
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

  public static final String USAGE =
      String.join(
          "\n",
          "usage: osdeploy-daemon (--configmap NAME [--namespace NS] | --config FILE) [options]",
          "       osdeploy-daemon receive --help | --help | --version",
          "",
          "  --configmap NAME          watch the daemon's ConfigMap (key daemon.json) through the API",
          "  --namespace NS            its namespace (default: the client's, in a pod its own)",
          "  --config FILE             read the configuration from FILE instead, again on change",
          "  --node NAME               this node's name (default: $NODE_NAME, else the host name)",
          "  --kubeconfig FILE         API credentials (default: in-cluster or $KUBECONFIG)",
          "  --http-port PORT          override the configuration's HTTP port (0: any free port)",
          "  --content-path DIR        override the configuration's content path",
          "  --bind-address ADDRESS    listen on this address only (default: all)",
          "  --advertise-address ADDR  the address in the endpoint URL (default: $POD_IP, else the",
          "                            first address of an interface that is up, not loopback)",
          "  --boot-environment DIR    serve the boot environment in DIR (vmlinuz, initrd.img,",
          "                            SHA256SUMS; default: $OSDEPLOY_BOOT_ENVIRONMENT, else",
          "                            /opt/osdeploy/boot-environment when it exists)",
          "  --tls-directory DIR       override the configuration's TLS directory (tls.crt,",
          "                            tls.key, ca.crt) for a daemon run outside a pod",
          "  --token-keys DIR          override the configuration's machine-token key directory",
          "                            (the distribution point's Secret) outside a pod; without",
          "                            either, the daemon signs with a key of its own",
          "  --deployment-secrets DIR  override the configuration's deployment-secrets directory",
          "                            (the distribution point's Secret) outside a pod",
          "",
          "The node's status is reported to its DistributionPoint when the API is reachable",
          "(--configmap, --kubeconfig, or running in a pod).",
          "",
          "osdeploy-daemon receive --help: fetch an image from a distribution point.");

  private static final List<String> FLAGS =
      List.of(
          "--node",
          "--namespace",
          "--configmap",
          "--config",
          "--kubeconfig",
          "--http-port",
          "--content-path",
          "--bind-address",
          "--advertise-address",
          "--boot-environment",
          "--tls-directory",
          "--token-keys",
          "--deployment-secrets");

  /** Reads the flags; defaults that need the network or the API are left null. */
  public static DaemonOptions parse(List<String> args, Map<String, String> env) {
    Flags values = Flags.parse(args, FLAGS, Set.of()).strict();
    String configMap = values.get("--configmap");
    Path configFile = values.path("--config");
    if ((configMap == null) == (configFile == null)) {
      throw new IllegalArgumentException("give one of --configmap and --config");
    }
    if (values.has("--namespace") && configMap == null) {
      throw new IllegalArgumentException("--namespace goes with --configmap");
    }
    Integer port = null;
    if (values.has("--http-port")) {
      try {
        port = Integer.valueOf(values.get("--http-port"));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "--http-port: not a number: " + values.get("--http-port"));
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("--http-port: must be between 0 and 65535");
      }
    }
    String node = values.get("--node", blankToNull(env.get("NODE_NAME")));
    String advertise = values.get("--advertise-address", blankToNull(env.get("POD_IP")));
    String bootEnvironment =
        values.get("--boot-environment", blankToNull(env.get("OSDEPLOY_BOOT_ENVIRONMENT")));
    return new DaemonOptions(
        node,
        values.get("--namespace"),
        configMap,
        configFile,
        values.path("--kubeconfig"),
        port,
        values.path("--content-path"),
        values.get("--bind-address", "0.0.0.0"),
        advertise,
        bootEnvironment == null ? null : Path.of(bootEnvironment),
        values.path("--tls-directory"),
        values.path("--token-keys"),
        values.path("--deployment-secrets"));
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
