package io.osdeploy.agent;

import io.osdeploy.transfer.receive.ReceiveCommand;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.NetworkInterface;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code osdeploy-agent run}: carries out a deployment on this machine. See {@link AgentOptions}
 * for the flags and exit status.
 */
public final class Main {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;
  static final int RESTART = 3;
  static final int NOTHING = 4;

  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(Arrays.asList(args), System.out, System.err));
  }

  static int run(List<String> args, PrintStream out, PrintStream err) {
    if (args.equals(List.of("--version"))) {
      String version = Main.class.getPackage().getImplementationVersion();
      out.println("osdeploy-agent " + (version != null ? version : "development"));
      return OK;
    }
    if (args.size() == 1 && List.of("-h", "--help", "help").contains(args.get(0))) {
      out.println(AgentOptions.USAGE);
      return OK;
    }
    if (args.isEmpty() || !args.get(0).equals("run")) {
      err.println(AgentOptions.USAGE);
      return args.size() == 1 && List.of("-h", "--help", "help").contains(args.get(0)) ? OK : USAGE;
    }
    AgentOptions options;
    Identity identity;
    NetworkInterface iface;
    try {
      options = AgentOptions.parse(args.subList(1, args.size()));
      iface =
          options.iface() != null
              ? NetworkInterface.getByName(options.iface())
              : ReceiveCommand.facing(options.server());
      if (iface == null) {
        throw new IllegalArgumentException("--interface: no such interface: " + options.iface());
      }
      identity =
          new Identity(
              options.mac() != null ? options.mac() : Identity.macOf(iface),
              options.uuid() != null ? options.uuid() : Identity.smbiosUuid());
    } catch (IllegalArgumentException e) {
      err.println(e.getMessage() + "\n\n" + AgentOptions.USAGE);
      return USAGE;
    } catch (Exception e) {
      err.println("cannot start: " + e.getMessage());
      return USAGE;
    }
    try {
      return new Main.Session(options, identity, iface, out, err).run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return FAILED;
    } catch (IOException e) {
      err.println("osdeploy-agent: " + e.getMessage());
      log.debug("agent failed", e);
      return FAILED;
    }
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
        return USAGE;
      }
      String wanted = resuming != null ? resuming : options.deployment();
      Policy policy = dp.policy(wanted);
      Policy.Offer offer = choose(policy, wanted, state);
      if (offer == null) {
        return NOTHING;
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
        case SUCCEEDED -> OK;
        case FAILED -> FAILED;
        case RESTART -> RESTART;
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
