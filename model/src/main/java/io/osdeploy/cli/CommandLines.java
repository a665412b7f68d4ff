package io.osdeploy.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * What every command of the operator's, the daemon's and the agent's jars does alike: {@code
 * --help} prints the usage on standard output and exits 0, {@code --version} prints the jar's
 * version, and a usage error (an unknown flag, a flag without its value, a value the flag does not
 * take) prints the error, which names the flag, then the usage on standard error, and exits 2.
 */
public final class CommandLines {
  /** The work was done. */
  public static final int OK = 0;

  /** The work failed. */
  public static final int FAILED = 1;

  /** The command line was wrong; nothing was done. */
  public static final int USAGE = 2;

  private CommandLines() {}

  /**
   * The command line of {@code command} and its subcommands, each answering {@code --version} with
   * {@code version} (the jar's name and version, see {@link #version}).
   */
  public static CommandLine create(Object command, String version) {
    CommandLine line = new CommandLine(command);
    versionEverywhere(line, version);
    line.setParameterExceptionHandler(CommandLines::usageError);
    return line;
  }

  /**
   * The jar's name and version from its manifest, e.g. {@code osdeploy-agent 0.1.0}; {@code
   * otherwise} in place of the version when run from classes.
   */
  public static String version(String name, Class<?> inJar, String otherwise) {
    String version = inJar.getPackage().getImplementationVersion();
    return name + " " + (version != null ? version : otherwise);
  }

  private static void versionEverywhere(CommandLine line, String version) {
    line.getCommandSpec().versionProvider(() -> new String[] {version});
    line.getSubcommands().values().forEach(sub -> versionEverywhere(sub, version));
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
