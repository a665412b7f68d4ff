package io.osdeploy.agent;

import io.osdeploy.transfer.receive.ReceiveCommand;
import io.osdeploy.transfer.tls.PinnedCa;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.NetworkInterface;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code osdeploy-agent run}: fetches this machine's policy from a distribution point, runs the
 * required deployment (or the one chosen), and reports every step.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpWidth = 100,
    description = {
      "Fetch this machine's policy from a distribution point, run the required deployment (or the"
          + " one chosen), and report every step."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:done",
      "1:failed",
      "2:bad usage",
      "3:restart requested (run the agent again after the restart)",
      "4:nothing to run"
    },
    footer = {
      "",
      "Outside the boot environment, a restart into the boot environment downloads the"
          + " distribution point's kernel and initramfs, verified, adds this machine's state to"
          + " the initramfs, and starts it with kexec (kexec-tools); the sequence resumes there."
    })
final class RunCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

  @Spec private CommandSpec spec;

  @ParentCommand private Main main;

  @Option(
      names = "--server",
      required = true,
      paramLabel = "URL",
      description = "the distribution point, e.g. http://10.0.0.5:9080")
  private String server;

  @Option(
      names = "--ca-fingerprint",
      paramLabel = "HEX",
      description = "trust an https:// server only if its chain holds the CA with this SHA-256")
  private String caFingerprint;

  @Option(
      names = "--mac",
      paramLabel = "MAC",
      description = "this machine's MAC (default: the interface facing the server)")
  private String mac;

  @Option(
      names = "--uuid",
      paramLabel = "UUID",
      description = "SMBIOS UUID (default: /sys/class/dmi/id/product_uuid)")
  private String uuid;

  @Option(
      names = "--source",
      paramLabel = "S",
      description = "media, pxe or client (default media)")
  private String source = "media";

  @Option(
      names = "--deployment",
      paramLabel = "NAME",
      description = "run this deployment (default: the required one, or ask)")
  private String deployment;

  @Option(
      names = "--media",
      paramLabel = "NAME",
      description = "the boot media this machine started from")
  private String media;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description =
          "the machine's token from its boot script, kept renewed there (default:"
              + " STATE-DIR/token; without one, the agent asks the distribution point for a token"
              + " with its MAC and UUID)")
  private Path tokenFile;

  @Option(
      names = "--disk",
      paramLabel = "PATH",
      description = "target disk (block device or file) for steps naming none")
  private Path disk;

  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      description = "where progress is kept across restarts (default /var/lib/osdeploy)")
  private Path stateDir = Path.of("/var/lib/osdeploy");

  @Option(
      names = "--interface",
      paramLabel = "NAME",
      description = "interface facing the distribution point")
  private String iface;

  @Option(
      names = "--user-state-dir",
      paramLabel = "DIR",
      description = "directory captured and restored by the user-state steps")
  private Path userStateDir;

  @Option(
      names = "--multicast-timeout",
      paramLabel = "S",
      description = "give multicast this long, then finish by unicast (default 3600)")
  private long multicastTimeout = 3600;

  @Option(
      names = "--retry-for",
      paramLabel = "S",
      description = "keep trying an unreachable distribution point this long (default 300)")
  private long retryFor = 300;

  @Option(
      names = "--reboot-command",
      paramLabel = "CMD",
      description = "run at a restart into the installed system (default: exit with status 3)")
  private String rebootCommand;

  @Option(
      names = "--boot-environment",
      description =
          "the agent runs in the boot environment (its /init says so): a restart into the"
              + " installed system is the last step, and a restart into the boot environment runs"
              + " the agent again")
  private boolean bootEnvironment;

  @Option(
      names = "--non-interactive",
      description = "never prompt; without a required deployment, exit 4")
  private boolean nonInteractive;

  @Override
  public Integer call() {
    PrintStream out = main.out();
    PrintStream err = main.err();
    AgentOptions options;
    Identity identity;
    NetworkInterface nic;
    try {
      options = options();
      nic =
          options.iface() != null
              ? NetworkInterface.getByName(options.iface())
              : ReceiveCommand.facing(options.server());
      if (nic == null) {
        throw new IllegalArgumentException("--interface: no such interface: " + options.iface());
      }
      identity =
          new Identity(
              options.mac() != null ? options.mac() : Identity.macOf(nic),
              options.uuid() != null ? options.uuid() : Identity.smbiosUuid());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    } catch (Exception e) {
      err.println("cannot start: " + e.getMessage());
      return Main.USAGE;
    }
    try {
      return new Session(options, identity, nic, out, err).run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Main.FAILED;
    } catch (IOException e) {
      err.println("osdeploy-agent: " + e.getMessage());
      log.debug("agent failed", e);
      return Main.FAILED;
    }
  }

  /**
   * The flags checked, each error naming its flag.
   *
   * @throws IllegalArgumentException for a value the flag does not take
   */
  AgentOptions options() {
    URI uri;
    try {
      uri = URI.create(server.replaceAll("/+$", ""));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--server: not a URL: " + server);
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
        || uri.getHost() == null) {
      throw new IllegalArgumentException(
          "--server: needs http://host:port or https://host:port (got " + server + ")");
    }
    if (caFingerprint != null) {
      try {
        PinnedCa.parse(caFingerprint);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--ca-fingerprint: " + e.getMessage());
      }
      if (!"https".equals(uri.getScheme())) {
        throw new IllegalArgumentException("--ca-fingerprint: needs an https:// --server");
      }
    }
    if (!Set.of("media", "pxe", "client").contains(source)) {
      throw new IllegalArgumentException(
          "--source: must be media, pxe or client (got " + source + ")");
    }
    return new AgentOptions(
        uri,
        mac,
        uuid,
        source,
        deployment,
        media,
        disk,
        stateDir,
        iface,
        userStateDir,
        Duration.ofSeconds(seconds("--multicast-timeout", multicastTimeout)),
        Duration.ofSeconds(seconds("--retry-for", retryFor)),
        rebootCommand,
        !nonInteractive,
        caFingerprint,
        bootEnvironment,
        tokenFile);
  }

  private static long seconds(String flag, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(flag + ": a number of seconds (got " + value + ")");
    }
    return value;
  }

  /** One run of the agent: choose (or resume) a deployment and run it. */
  private record Session(
      AgentOptions options,
      Identity identity,
      NetworkInterface iface,
      PrintStream out,
      PrintStream err) {
    int run() throws IOException, InterruptedException {
      DistributionPointClient dp =
          new DistributionPointClient(
              options.server(),
              identity,
              options.retryFor(),
              options.tls(),
              options.source(),
              options.deployment(),
              options.media(),
              options.tokenFile() != null
                  ? options.tokenFile()
                  : options.stateDir().resolve("token"));
      AgentState state = AgentState.load(options.stateDir());
      String resuming =
          state != null && state.outcome == AgentState.Outcome.RUNNING ? state.deployment : null;
      if (resuming != null
          && options.deployment() != null
          && !options.deployment().equals(resuming)) {
        err.println(
            "--deployment: "
                + resuming
                + " is in progress on this machine; it finishes first (or remove "
                + options.stateDir().resolve(AgentState.FILE)
                + " to abandon it)");
        return Main.USAGE;
      }
      String wanted = resuming != null ? resuming : options.deployment();
      Policy policy = dp.policy(wanted);
      Policy.Offer offer = choose(policy, wanted, state);
      if (offer == null) {
        return Main.NOTHING;
      }
      if (resuming == null) {
        state = new AgentState();
        state.deployment = offer.name();
        state.namespace = offer.namespace();
        state.save(options.stateDir());
        out.println(
            "osdeploy-agent: running " + offer.name() + " (" + offer.steps().size() + " steps)");
      } else {
        out.println(
            "osdeploy-agent: resuming "
                + offer.name()
                + " at step "
                + (state.nextStep + 1)
                + " of "
                + offer.steps().size());
      }
      TaskSequenceRunner runner =
          new TaskSequenceRunner(
              options,
              identity,
              iface,
              dp,
              new UserStateStore(
                  options.server(),
                  identity,
                  options.stateDir().resolve("work"),
                  options.tls(),
                  dp::tokenOrNull));
      TaskSequenceRunner.Result result = runner.run(offer, state);
      out.println("osdeploy-agent: " + offer.name() + ": " + result.name().toLowerCase());
      return switch (result) {
        case SUCCEEDED -> Main.OK;
        case FAILED -> Main.FAILED;
        case RESTART -> Main.RESTART;
      };
    }

    private Policy.Offer choose(Policy policy, String wanted, AgentState state) throws IOException {
      String who = identity.mac() != null ? identity.mac() : identity.uuid();
      if (wanted != null) {
        Policy.Offer offer = policy.find(wanted);
        if (offer == null) {
          err.println(
              "osdeploy-agent: "
                  + options.server()
                  + " offers no deployment "
                  + wanted
                  + " to "
                  + who
                  + " (source "
                  + options.source()
                  + ")");
        }
        return offer;
      }
      for (Policy.Offer d : policy.deployments()) {
        // On an installed machine a required deployment waits for its deadline; a machine booted
        // from media or PXE was started to be deployed, and runs it at once.
        if (d.required()
            && "client".equals(options.source())
            && d.deadline() != null
            && !d.deadlinePassed()) {
          out.println(
              "osdeploy-agent: required deployment "
                  + d.name()
                  + " runs by itself after its deadline "
                  + d.deadline()
                  + "; name it with --deployment to run it now");
          continue;
        }
        if (d.required()) {
          if (state != null && d.name().equals(state.deployment)) {
            out.println(
                "osdeploy-agent: required deployment "
                    + d.name()
                    + " already ran here ("
                    + state.outcome.name().toLowerCase()
                    + "); name it with --deployment to run it again");
            return null;
          }
          return d;
        }
      }
      if (policy.deployments().isEmpty()) {
        out.println("osdeploy-agent: " + options.server() + " has no deployment for " + who);
        return null;
      }
      if (!options.interactive() || System.console() == null) {
        out.println(
            "osdeploy-agent: no required deployment; available ones (pick with --deployment):");
        policy.deployments().forEach(d -> out.println("  " + d.name()));
        return null;
      }
      out.println("Available deployments:");
      for (int i = 0; i < policy.deployments().size(); i++) {
        out.printf("  %d) %s%n", i + 1, policy.deployments().get(i).name());
      }
      out.print("Run which (number, empty to cancel)? ");
      out.flush();
      String line =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
      try {
        int n = Integer.parseInt(line == null ? "" : line.strip());
        return n >= 1 && n <= policy.deployments().size() ? policy.deployments().get(n - 1) : null;
      } catch (NumberFormatException e) {
        return null;
      }
    }
  }
}
