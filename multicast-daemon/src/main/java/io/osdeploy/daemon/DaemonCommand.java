package io.osdeploy.daemon;

import io.osdeploy.cli.CommandLines;
import io.osdeploy.transfer.receive.ReceiveCommand;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The daemon's command line: the flags of a distribution point node, and {@code receive}. Each flag
 * takes a value, as {@code --flag value} or {@code --flag=value}, once: a program writes this
 * command line whole, so a flag given twice or with an empty value is a mistake.
 */
@Command(
    name = "osdeploy-daemon",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpWidth = 100,
    customSynopsis = {
      "osdeploy-daemon (--configmap=NAME [--namespace=NS] | --config=FILE) [OPTIONS]",
      "       osdeploy-daemon receive --server=URL --image=NAME --out=PATH [OPTIONS]",
      "       osdeploy-daemon [COMMAND] (-h | --help | -V | --version)"
    },
    description = {
      "Serve a distribution point node: content, policy, boot files, multicast sessions. The"
          + " node's status is reported to its DistributionPoint when the API is reachable"
          + " (--configmap, --kubeconfig, or running in a pod)."
    },
    commandListHeading = "%nCommands:%n",
    subcommands = {HelpCommand.class},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:stopped (SIGTERM)",
      "1:could not start (its port taken, its TLS files unreadable...)",
      "2:bad usage (also: --configmap with no namespace to find it in)"
    })
public final class DaemonCommand implements Callable<Integer> {
  @Spec private CommandSpec spec;

  @Option(
      names = "--configmap",
      paramLabel = "NAME",
      description = "watch the daemon's ConfigMap (key daemon.json) through the API")
  private String configMap;

  @Option(
      names = "--namespace",
      paramLabel = "NS",
      description = "its namespace (default: the client's, in a pod its own)")
  private String namespace;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "read the configuration from FILE instead, again on change")
  private Path configFile;

  @Option(
      names = "--node",
      paramLabel = "NAME",
      description = "this node's name (default: $NODE_NAME, else the host name)")
  private String node;

  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description = "API credentials (default: in-cluster or $KUBECONFIG)")
  private Path kubeconfig;

  @Option(
      names = "--http-port",
      paramLabel = "PORT",
      description = "override the configuration's HTTP port (0: any free port)")
  private Integer httpPort;

  @Option(
      names = "--content-path",
      paramLabel = "DIR",
      description = "override the configuration's content path")
  private Path contentPath;

  @Option(
      names = "--bind-address",
      paramLabel = "ADDRESS",
      description = "listen on this address only (default: all)")
  private String bindAddress;

  @Option(
      names = "--advertise-address",
      paramLabel = "ADDR",
      description =
          "the address in the endpoint URL (default: $POD_IP, else the first address of an"
              + " interface that is up, not loopback)")
  private String advertiseAddress;

  @Option(
      names = "--boot-environment",
      paramLabel = "DIR",
      description =
          "serve the boot environment in DIR (vmlinuz, initrd.img, SHA256SUMS; default:"
              + " $OSDEPLOY_BOOT_ENVIRONMENT, else /opt/osdeploy/boot-environment when it exists)")
  private String bootEnvironment;

  @Option(
      names = "--tls-directory",
      paramLabel = "DIR",
      description =
          "override the configuration's TLS directory (tls.crt, tls.key, ca.crt) for a daemon run"
              + " outside a pod")
  private Path tlsDirectory;

  @Option(
      names = "--token-keys",
      paramLabel = "DIR",
      description =
          "override the configuration's machine-token key directory (the distribution point's"
              + " Secret) outside a pod; without either, the daemon signs with a key of its own")
  private Path tokenKeys;

  @Option(
      names = "--deployment-secrets",
      paramLabel = "DIR",
      description =
          "override the configuration's deployment-secrets directory (the distribution point's"
              + " Secret) outside a pod")
  private Path deploymentSecrets;

  /**
   * The daemon's command line, with {@code receive} and {@code help}.
   *
   * @param version what {@code --version} prints, e.g. {@code osdeploy-daemon 0.1.0}
   */
  public static CommandLine commandLine(String version) {
    CommandLine line = CommandLines.create(new DaemonCommand(), version);
    line.addSubcommand(ReceiveCommand.commandLine(version));
    return line;
  }

  @Override
  public Integer call() throws Exception {
    return Main.serve(options(System.getenv()));
  }

  /** The flags checked together; defaults that need the network or the API are left null. */
  DaemonOptions options(Map<String, String> env) {
    for (OptionSpec given : spec.commandLine().getParseResult().matchedOptions()) {
      if (given.originalStringValues().contains("")) {
        throw usage(given.longestName() + ": needs a value");
      }
    }
    if ((configMap == null) == (configFile == null)) {
      throw usage("give one of --configmap and --config");
    }
    if (namespace != null && configMap == null) {
      throw usage("--namespace goes with --configmap");
    }
    if (httpPort != null && (httpPort < 0 || httpPort > 65535)) {
      throw usage("--http-port: must be between 0 and 65535");
    }
    String boot =
        bootEnvironment != null
            ? bootEnvironment
            : blankToNull(env.get("OSDEPLOY_BOOT_ENVIRONMENT"));
    return new DaemonOptions(
        node != null ? node : blankToNull(env.get("NODE_NAME")),
        namespace,
        configMap,
        configFile,
        kubeconfig,
        httpPort,
        contentPath,
        bindAddress != null ? bindAddress : "0.0.0.0",
        advertiseAddress != null ? advertiseAddress : blankToNull(env.get("POD_IP")),
        boot == null ? null : Path.of(boot),
        tlsDirectory,
        tokenKeys,
        deploymentSecrets);
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
