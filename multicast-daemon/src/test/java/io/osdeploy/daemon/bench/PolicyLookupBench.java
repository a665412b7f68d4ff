package io.osdeploy.daemon.bench;

import io.osdeploy.api.v1alpha1.MacAddress;
import io.osdeploy.api.v1alpha1.Target;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec.Availability;
import io.osdeploy.daemon.policy.PolicyIndex;
import io.osdeploy.daemon.policy.PolicyRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Policy lookups per second on one core with 1,000 deployments and 5,000 machines (and smaller
 * fleets for comparison): builds the index, then answers requests for random known and unknown
 * machines from all three sources. Prints a table and writes it to the file given as argument.
 */
public final class PolicyLookupBench {
  private PolicyLookupBench() {}

  public static void main(String[] args) throws IOException {
    Path out = Path.of(args.length > 0 ? args[0] : "docs/benchmarks-policy.md");
    int[][] fleets = {{10, 50}, {100, 500}, {1000, 5000}};
    StringBuilder table = new StringBuilder();
    table.append(
        "| deployments | machines | index build (ms) | lookups/s (one thread) | ns/lookup |\n");
    table.append("|---:|---:|---:|---:|---:|\n");
    for (int[] fleet : fleets) {
      table.append(row(fleet[0], fleet[1]));
    }
    String doc =
        "# Policy lookup benchmark\n\n"
            + "`bench/policy-lookup.sh` on this machine ("
            + Runtime.getRuntime().availableProcessors()
            + " cores, Java "
            + System.getProperty("java.version")
            + "). Each deployment targets 5 machines by MAC, every tenth also unknown computers;"
            + " requests mix known and unknown machines and the three sources.\n\n"
            + table;
    System.out.print(table);
    Files.writeString(out, doc);
    System.out.println("written to " + out);
  }

  /**
   * What one distribution point's policy index does with {@code deployments}, the ones it
   * publishes: how long building the index takes and how many lookups one thread answers per
   * second.
   */
  public record Result(
      int deployments, int machines, double indexBuildMillis, long lookupsPerSecond) {
    public double nanosPerLookup() {
      return 1e9 / lookupsPerSecond;
    }
  }

  private static String row(int deploymentCount, int machineCount) {
    Result r = measure(fleet(deploymentCount, machineCount));
    return String.format(
        Locale.ROOT,
        "| %d | %d | %.1f | %,d | %.0f |%n",
        deploymentCount,
        machineCount,
        r.indexBuildMillis(),
        r.lookupsPerSecond(),
        r.nanosPerLookup());
  }

  /**
   * {@code deploymentCount} deployments, each targeting its share of {@code machineCount} machines
   * by MAC, the three availabilities in turn, every tenth also unknown computers.
   */
  private static List<TaskSequenceDeployment> fleet(int deploymentCount, int machineCount) {
    List<TaskSequenceDeployment> deployments = new ArrayList<>();
    Availability[] availabilities = Availability.values();
    for (int d = 0; d < deploymentCount; d++) {
      TaskSequenceDeployment dep = new TaskSequenceDeployment();
      dep.getMetadata().setName("d" + d);
      dep.setSpec(new TaskSequenceDeploymentSpec());
      dep.getSpec().setAvailability(availabilities[d % availabilities.length]);
      Target target = new Target();
      List<Target.Machine> machines = new ArrayList<>();
      for (int k = 0; k < machineCount / deploymentCount; k++) {
        Target.Machine m = new Target.Machine();
        m.setName("m" + k);
        m.setMac(mac((d * (machineCount / deploymentCount) + k) % machineCount));
        machines.add(m);
      }
      target.setMachines(machines);
      target.setUnknownComputers(d % 10 == 0);
      dep.getSpec().setTarget(target);
      deployments.add(dep);
    }
    return deployments;
  }

  /**
   * Builds the index of {@code deployments}, then answers requests from all three sources, nine in
   * ten for a machine the deployments target (by MAC) and one in ten for a machine they do not
   * know, on the calling thread.
   */
  public static Result measure(Collection<TaskSequenceDeployment> deployments) {
    Random random = new Random(7);
    Set<String> known = new LinkedHashSet<>();
    for (TaskSequenceDeployment d : deployments) {
      Target target = d.getSpec().getTarget();
      if (target != null && target.getMachines() != null) {
        for (Target.Machine m : target.getMachines()) {
          if (m.getMac() != null) {
            known.add(MacAddress.normalize(m.getMac()));
          }
        }
      }
    }
    List<String> macs = new ArrayList<>(known);
    long buildStart = System.nanoTime();
    PolicyIndex index = PolicyIndex.of(deployments);
    long buildNanos = System.nanoTime() - buildStart;

    PolicyRequest.Source[] sources = PolicyRequest.Source.values();
    List<PolicyRequest> requests = new ArrayList<>();
    int unknown = macs.size();
    for (int i = 0; i < 10_000; i++) {
      String mac;
      if (macs.isEmpty() || random.nextInt(10) == 0) {
        do {
          mac = mac(unknown++);
        } while (known.contains(mac));
      } else {
        mac = macs.get(random.nextInt(macs.size()));
      }
      requests.add(new PolicyRequest(mac, null, sources[i % sources.length], null));
    }
    long sink = 0;
    for (int warm = 0; warm < 20; warm++) {
      for (PolicyRequest r : requests) {
        sink += index.offered(r).size();
      }
    }
    int rounds = 50;
    long start = System.nanoTime();
    for (int round = 0; round < rounds; round++) {
      for (PolicyRequest r : requests) {
        sink += index.offered(r).size();
      }
    }
    long nanos = System.nanoTime() - start;
    long lookups = (long) rounds * requests.size();
    if (sink == 42) {
      System.out.println();
    }
    return new Result(
        deployments.size(), known.size(), buildNanos / 1e6, (long) (lookups / (nanos / 1e9)));
  }

  /** The MAC address of machine {@code i} of a benchmark fleet: 52:54:00 and three bytes of i. */
  public static String mac(int i) {
    return String.format(
        Locale.ROOT, "52:54:00:%02x:%02x:%02x", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
  }
}
