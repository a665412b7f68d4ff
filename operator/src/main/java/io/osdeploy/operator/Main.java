package io.osdeploy.operator;

import io.osdeploy.cli.CommandLines;
import io.osdeploy.operator.validation.ValidateCommand;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Entry point of the operator's jar: {@code run} and {@code validate}. Every command answers {@code
 * --help} (usage on standard output, exit 0) and {@code --version}; a usage error (an unknown flag,
 * a flag without its value, a value the flag does not take) prints the error, which names the flag,
 * then the usage on standard error, and exits 2.
 */
@Command(
    name = "osdeploy-operator",
    mixinStandardHelpOptions = true,
    usageHelpWidth = 100,
    description = {"Reconcile osdeploy resources, or check their YAML offline."},
    commandListHeading = "%nCommands:%n",
    subcommands = {RunCommand.class, ValidateCommand.class, HelpCommand.class},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:done",
      "1:failed (validate: an error found; run: not Ready in time)",
      "2:bad usage"
    })
public final class Main implements Callable<Integer> {
  /** The command line was wrong; nothing was done. */
  public static final int USAGE = CommandLines.USAGE;

  @Spec private CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The operator's command line, its version the jar's. */
  public static CommandLine commandLine() {
    return CommandLines.create(
        new Main(), CommandLines.version("osdeploy-operator", Main.class, "development"));
  }

  /** Without a command: the usage, as for any other usage error. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return USAGE;
  }
}
