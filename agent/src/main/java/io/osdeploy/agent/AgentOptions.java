package io.osdeploy.agent;

import io.osdeploy.transfer.tls.PinnedCa;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** {@code osdeploy-agent run} options, each checked with the flag named in its error. */
record AgentOptions(
    URI server,
    String mac,
    String uuid,
    String source,
    String deployment,
    String media,
    Path disk,
    Path stateDir,
    String iface,
    Path userStateDir,
    Duration multicastTimeout,
    Duration retryFor,
    String rebootCommand,
    boolean interactive,
    String caFingerprint,
    boolean bootEnvironment,
    Path tokenFile) {
  /**
   * Reads the flags of {@code run} as its command line does ({@link RunCommand}).
   *
   * @throws IllegalArgumentException naming the flag, for what the command line refuses
   */
  static AgentOptions parse(List<String> args) {
    List<String> runArgs = new ArrayList<>(List.of("run"));
    runArgs.addAll(args);
    try {
      CommandLine run =
          Main.commandLine(System.out, System.err)
              .parseArgs(runArgs.toArray(String[]::new))
              .subcommand()
              .commandSpec()
              .commandLine();
      return ((RunCommand) run.getCommand()).options();
    } catch (ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** How an https:// server is trusted: the pinned CA, or else the JDK's trusted CAs (null). */
  SSLContext tls() {
    return caFingerprint == null ? null : PinnedCa.context(caFingerprint);
  }
}
