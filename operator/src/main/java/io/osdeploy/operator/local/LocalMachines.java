package io.osdeploy.operator.local;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.api.v1alpha1.Target;
import io.osdeploy.api.v1alpha1.TaskSequence;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentStatus;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The run command's last act: machines on this computer carry out a deployment. For each
 * distribution point with multicast and a Ready node, it applies a small required deployment
 * ({@code local-demo-<dp>}: partition a disk, apply the point's first image, set a variable, run a
 * command) for as many machines as the point's sessions wait for (at most 8), runs the real agent
 * for each with a disk file of its own, and reads back the deployment's status: the machines
 * counted as the operator rolls up their reports.
 */
final class LocalMachines {
  private static final Pattern ROUTE =
      Pattern.compile("(\\d+) blocks by multicast, (\\d+) bytes by unicast");

  private final KubernetesClient client;
  private final Path home;
  private final Path agentJar;

  LocalMachines(KubernetesClient client, Path home, Path agentJar) {
    this.client = client;
    this.home = home;
    this.agentJar = agentJar;
  }

  /** What stands in for local machines where they cannot apply a point's image. */
  interface Receivers {
    List<String> receive(LocalProcesses.Site site) throws IOException, InterruptedException;
  }

  /**
   * One line per distribution point saying how its machines did. A point whose first image is a
   * Windows image (format Wim), which machines whose disks are files cannot be given, has local
   * receivers fetch its images by multicast instead.
   */
  List<String> deploy(Receivers receivers) throws IOException, InterruptedException {
    List<String> lines = new ArrayList<>();
    for (LocalProcesses.Site site : LocalProcesses.multicastSites(client)) {
      String image = site.dp().getSpec().getOsImages().getNames().get(0);
      io.osdeploy.api.v1alpha1.OSImage osImage =
          client
              .resources(io.osdeploy.api.v1alpha1.OSImage.class)
              .inNamespace(site.dp().getMetadata().getNamespace())
              .withName(image)
              .get();
      if (osImage != null
          && osImage.getSpec().format() == io.osdeploy.api.v1alpha1.OSImageSpec.Format.Wim) {
        for (String line : receivers.receive(site)) {
          lines.add(
              "Agents: "
                  + image
                  + " is a Windows image, which local machines (files standing in for disks)"
                  + " cannot be given; local receivers fetched "
                  + site.dp().getMetadata().getName()
                  + "'s images instead. "
                  + line);
        }
        continue;
      }
      lines.add(deploy(site.dp(), site.machines()));
    }
    return lines;
  }

  private String deploy(DistributionPoint dp, int count) throws IOException, InterruptedException {
    String ns = dp.getMetadata().getNamespace();
    String name = "local-demo-" + dp.getMetadata().getName();
    String image = dp.getSpec().getOsImages().getNames().get(0);
    List<String> macs = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      macs.add(String.format(Locale.ROOT, "02:00:00:00:0d:%02x", i));
    }
    client
        .resource(deployment(ns, name, dp.getMetadata().getName(), image, macs))
        .fieldManager("osdeploy-run")
        .forceConflicts()
        .serverSideApply();
    String endpoint = dp.getStatus().getNodes().get(0).getEndpoint();
    if (!published(endpoint, name, macs.get(0))) {
      return "Agents: " + name + " was not published by " + endpoint + " within 60 s";
    }
    long imageBytes = imageSize(ns, image);
    Path dir = home.resolve("machines");
    deleteRecursively(dir);
    List<LocalProcesses.Launch> agents = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Path machine = dir.resolve("machine-" + (i + 1));
      Files.createDirectories(machine);
      Path disk = machine.resolve("disk.img");
      try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
        f.setLength(imageBytes + (8 << 20));
      }
      agents.add(
          new LocalProcesses.Launch(
              List.of(
                  "run",
                  "--server",
                  endpoint,
                  "--mac",
                  macs.get(i),
                  "--source",
                  "client",
                  "--interface",
                  "lo",
                  "--disk",
                  disk.toString(),
                  "--state-dir",
                  machine.resolve("state").toString(),
                  "--non-interactive",
                  "--multicast-timeout",
                  "120",
                  "--retry-for",
                  "30"),
              machine.resolve("agent.log")));
    }
    LocalProcesses.Summary ran = LocalProcesses.run(agentJar, agents, ROUTE);
    int succeeded = succeededInStatus(ns, name, count);
    return String.format(
        Locale.ROOT,
        "Agents: %d local machines ran %s (partition, %s by multicast, a variable, a command) in"
            + " %.1f s: %d of %d succeeded in the deployment's status, %d agents exited 0 (%d"
            + " blocks by multicast, %d bytes by unicast; logs in %s)",
        count,
        name,
        image,
        ran.seconds(),
        succeeded,
        count,
        ran.succeeded(),
        ran.multicastBlocks(),
        ran.unicastBytes(),
        dir);
  }

  private static TaskSequenceDeployment deployment(
      String ns, String name, String dp, String image, List<String> macs) {
    TaskSequenceDeployment d = new TaskSequenceDeployment();
    d.getMetadata().setName(name);
    d.getMetadata().setNamespace(ns);
    d.getMetadata().setLabels(java.util.Map.of("app.kubernetes.io/managed-by", "osdeploy-run"));
    TaskSequenceDeploymentSpec spec = new TaskSequenceDeploymentSpec();
    Step partition = new Step();
    partition.setName("Partition disk");
    partition.setPartitionDisk(new Step.PartitionDisk());
    Step apply = new Step();
    apply.setName("Apply " + image);
    apply.setApplyOperatingSystem(new Step.ApplyOperatingSystem());
    apply.getApplyOperatingSystem().setOsImage(image);
    Step role = new Step();
    role.setName("Set role");
    role.setSetVariable(new Step.SetVariable());
    role.getSetVariable().setName("ROLE");
    role.getSetVariable().setValue("demo");
    Step hello = new Step();
    hello.setName("Say hello");
    hello.setRunCommand(new Step.RunCommand());
    hello.getRunCommand().setCommand("echo \"imaged ${OSD_MAC} as ${ROLE}\" > hello.txt");
    TaskSequence ts = new TaskSequence();
    ts.setSteps(List.of(partition, apply, role, hello));
    spec.setTaskSequence(ts);
    Target target = new Target();
    List<Target.Machine> machines = new ArrayList<>();
    for (int i = 0; i < macs.size(); i++) {
      Target.Machine m = new Target.Machine();
      m.setName(String.format(Locale.ROOT, "local-machine-%d", i + 1));
      m.setMac(macs.get(i));
      machines.add(m);
    }
    target.setMachines(machines);
    spec.setTarget(target);
    spec.setAvailability(TaskSequenceDeploymentSpec.Availability.ClientsMediaAndPxe);
    spec.setPurpose(TaskSequenceDeploymentSpec.Purpose.Required);
    spec.setDistributionPoints(List.of(dp));
    d.setSpec(spec);
    return d;
  }

  /** Whether the node publishes the deployment (policy for the first machine names it). */
  private static boolean published(String endpoint, String name, String mac)
      throws InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      try {
        io.osdeploy.policy.PolicyDocument policy =
            new com.fasterxml.jackson.databind.ObjectMapper()
                .readValue(
                    MachinePolicy.fetch(http, endpoint, "source=client&mac=" + mac),
                    io.osdeploy.policy.PolicyDocument.class);
        if (policy.deployments().stream().anyMatch(d -> d.name().equals(name))) {
          return true;
        }
      } catch (IOException e) {
        // the node may be restarting; ask again
      }
      Thread.sleep(500);
    }
    return false;
  }

  private long imageSize(String ns, String image) {
    var osImage =
        client
            .resources(io.osdeploy.api.v1alpha1.OSImage.class)
            .inNamespace(ns)
            .withName(image)
            .get();
    return osImage == null || osImage.getSpec().getSizeBytes() == null
        ? 64L << 20
        : osImage.getSpec().getSizeBytes();
  }

  /** The deployment's succeeded count once the reports are rolled up (they flush every 5 s). */
  private int succeededInStatus(String ns, String name, int expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    int succeeded = 0;
    while (System.nanoTime() < deadline) {
      TaskSequenceDeployment d =
          client.resources(TaskSequenceDeployment.class).inNamespace(ns).withName(name).get();
      TaskSequenceDeploymentStatus s = d == null ? null : d.getStatus();
      if (s != null && s.getMachines() != null && s.getMachines().getSucceeded() != null) {
        succeeded = s.getMachines().getSucceeded();
        if (succeeded >= expected) {
          break;
        }
      }
      Thread.sleep(500);
    }
    return succeeded;
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
