package io.osdeploy.operator.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * JVMs on this computer that stand in for machines (agents, multicast receivers): started together,
 * each writing its own log, waited for (at most 180 s each, then killed), and summed up from their
 * exit status and logs.
 */
final class LocalProcesses {
  private static final long TIMEOUT_SECONDS = 180;

  /** One process: the jar's arguments, and the file its output goes to. */
  record Launch(List<String> args, Path log) {}

  /**
   * How the processes did: how many exited 0, the blocks they received by multicast and the bytes
   * by unicast, and how long they took together.
   */
  record Summary(int succeeded, long multicastBlocks, long unicastBytes, double seconds) {}

  private LocalProcesses() {}

  /**
   * Runs {@code java -jar jar} once per launch, all at the same time, and waits for them; {@code
   * route} finds in a log the blocks received by multicast (group 1) and the bytes by unicast
   * (group 2).
   */
  static Summary run(Path jar, List<Launch> launches, Pattern route)
      throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    long start = System.nanoTime();
    List<Process> processes = new ArrayList<>();
    for (Launch launch : launches) {
      List<String> command = new ArrayList<>(List.of(java, "-Xmx128m", "-jar", jar.toString()));
      command.addAll(launch.args());
      processes.add(
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(launch.log().toFile())
              .start());
    }
    int succeeded = 0;
    long multicastBlocks = 0;
    long unicastBytes = 0;
    for (int i = 0; i < processes.size(); i++) {
      Process p = processes.get(i);
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor();
      }
      if (p.exitValue() == 0) {
        succeeded++;
      }
      Matcher m = route.matcher(Files.readString(launches.get(i).log()));
      if (m.find()) {
        multicastBlocks += Long.parseLong(m.group(1));
        unicastBytes += Long.parseLong(m.group(2));
      }
    }
    return new Summary(succeeded, multicastBlocks, unicastBytes, (System.nanoTime() - start) / 1e9);
  }
}
