package io.osdeploy.operator.local;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.osdeploy.api.v1alpha1.DistributionPoint;
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

  /** At most this many local machines per distribution point. */
  private static final int MAX_MACHINES = 8;

  /** A distribution point the run command shows at work, and how many local machines it gets. */
  record Site(DistributionPoint dp, int machines) {}

  private LocalProcesses() {}

  /**
   * The distribution points with multicast on, a node that reports and OS images: each with as many
   * local machines as its sessions wait for ({@code sessionStart.minClients}, at most 8).
   */
  static List<Site> multicastSites(KubernetesClient client) {
    List<Site> sites = new ArrayList<>();
    for (DistributionPoint dp :
        client.resources(DistributionPoint.class).inAnyNamespace().list().getItems()) {
      if (dp.getSpec().getMulticast() == null
          || !Boolean.TRUE.equals(dp.getSpec().getMulticast().getEnabled())
          || dp.getStatus() == null
          || dp.getStatus().getNodes().isEmpty()
          || dp.getSpec().getOsImages() == null
          || dp.getSpec().getOsImages().getNames() == null
          || dp.getSpec().getOsImages().getNames().isEmpty()) {
        continue;
      }
      int machines = 1;
      if (dp.getSpec().getMulticast().getSessionStart() != null
          && dp.getSpec().getMulticast().getSessionStart().getMinClients() != null) {
        machines =
            Math.min(MAX_MACHINES, dp.getSpec().getMulticast().getSessionStart().getMinClients());
      }
      sites.add(new Site(dp, machines));
    }
    return sites;
  }

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
