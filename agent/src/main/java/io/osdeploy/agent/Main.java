package io.osdeploy.agent;

import io.osdeploy.cli.CommandLines;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The agent's jar: {@code osdeploy-agent run} carries out a deployment on this machine. */
@Command(
    name = "osdeploy-agent",
    mixinStandardHelpOptions = true,
    usageHelpWidth = 100,
    description = {"Carry out a deployment on this machine: osdeploy-agent run --server URL."},
    commandListHeading = "%nCommands:%n",
    subcommands = {RunCommand.class, HelpCommand.class},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:done",
      "1:failed",
      "2:bad usage",
      "3:restart requested (run the agent again after the restart)",
      "4:nothing to run"
    })
public final class Main implements Callable<Integer> {
  static final int OK = CommandLines.OK;
  static final int FAILED = CommandLines.FAILED;
  static final int USAGE = CommandLines.USAGE;
  static final int RESTART = 3;
  static final int NOTHING = 4;

  @Spec private CommandSpec spec;

  private final PrintStream out;
  private final PrintStream err;

  private Main(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    System.exit(run(Arrays.asList(args), System.out, System.err));
  }

  /**
   * Runs the command line {@code args}, printing to {@code out} and {@code err}.
   *
   * @return the exit status
   */
  static int run(List<String> args, PrintStream out, PrintStream err) {
    return commandLine(out, err).execute(args.toArray(String[]::new));
  }

  /**
   * The agent's command line. A flag given again overrides the value before, so that a caller can
   * append to a command line it was given (the boot environment's {@code /init} builds one).
   */
  static CommandLine commandLine(PrintStream out, PrintStream err) {
    CommandLine line =
        CommandLines.create(
            new Main(out, err), CommandLines.version("osdeploy-agent", Main.class, "development"));
    line.setOverwrittenOptionsAllowed(true);
    line.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    line.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    return line;
  }

  /** Without a command: the usage, as for any other usage error. */
  @Override
  public Integer call() {
    spec.commandLine().usage(err);
    return USAGE;
  }

  PrintStream out() {
    return out;
  }

  PrintStream err() {
    return err;
  }
}
