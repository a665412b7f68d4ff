package io.osdeploy.operator;

import io.osdeploy.operator.validation.ValidateCommand;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

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
  /** The work was done. */
  public static final int OK = 0;

  /** The command line was wrong; nothing was done. */
  public static final int USAGE = 2;

  @Spec private CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The operator's command line, its version the jar's. */
  public static CommandLine commandLine() {
    CommandLine line = new CommandLine(new Main());
    String[] version = {"osdeploy-operator " + version()};
    setVersion(line, version);
    line.setParameterExceptionHandler(Main::usageError);
    return line;
  }

  /** Without a command: the usage, as for any other usage error. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return USAGE;
  }

  /** The jar's version, or "development" when run from classes. */
  private static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v != null ? v : "development";
  }

  private static void setVersion(CommandLine line, String[] version) {
    line.getCommandSpec().versionProvider(() -> version);
    line.getSubcommands().values().forEach(sub -> setVersion(sub, version));
  }

  /** The error, then the whole usage: picocli leaves the usage out when it has a suggestion. */
  private static int usageError(ParameterException e, String[] args) {
    CommandLine line = e.getCommandLine();
    PrintWriter err = line.getErr();
    err.println(line.getColorScheme().errorText(e.getMessage()));
    UnmatchedArgumentException.printSuggestions(e, err);
    err.println();
    line.usage(err, line.getColorScheme());
    err.flush();
    return USAGE;
  }
}
