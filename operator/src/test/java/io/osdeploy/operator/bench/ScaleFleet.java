package io.osdeploy.operator.bench;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.DistributionPointMulticast;
import io.osdeploy.api.v1alpha1.ImageSelection;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.api.v1alpha1.Target;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec.Availability;
import io.osdeploy.daemon.bench.PolicyLookupBench;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The fleet the scale benchmark applies, each resource a copy of its sample in {@code samples/}
 * with its name and references changed:
 *
 * <ul>
 *   <li>{@code images} OS images, {@code img-NN};
 *   <li>{@code distributionPoints} distribution points, {@code dp-NNN}, each on a site of its own
 *       (node selector), with a multicast address range of its own, holding every image;
 *   <li>{@code deployments} deployments, {@code tsd-NNNN}: deployment i is served by distribution
 *       point i mod distributionPoints, applies image (i / distributionPoints) mod images (so every
 *       distribution point's deployments use every image), and targets {@code machinesEach}
 *       machines of its own by MAC, the three availabilities in turn, every tenth also unknown
 *       computers;
 *   <li>{@code media} boot media, {@code media-NNN}: media m pins deployment m and lists no boot
 *       servers, so they come from the nodes of that deployment's distribution point.
 * </ul>
 */
record ScaleFleet(
    int images, int distributionPoints, int deployments, int machinesEach, int media) {
  ScaleFleet {
    if (images < 1 || distributionPoints < 1 || deployments < 1 || machinesEach < 1) {
      throw new IllegalArgumentException("every count must be at least 1");
    }
    if (media > deployments) {
      throw new IllegalArgumentException("each media pins a deployment of its own");
    }
  }

  int machines() {
    return deployments * machinesEach;
  }

  int resources() {
    return images + distributionPoints + deployments + media;
  }

  /** What the names of {@code kind} in the fleet start with. */
  static String namePrefix(String kind) {
    return switch (kind) {
      case "OSImage" -> "img-";
      case "DistributionPoint" -> "dp-";
      case "TaskSequenceDeployment" -> "tsd-";
      case "BootableMedia" -> "media-";
      default -> throw new IllegalArgumentException(kind);
    };
  }

  static String image(int i) {
    return String.format(Locale.ROOT, "img-%02d", i);
  }

  static String distributionPoint(int i) {
    return String.format(Locale.ROOT, "dp-%03d", i);
  }

  static String deployment(int i) {
    return String.format(Locale.ROOT, "tsd-%04d", i);
  }

  static String media(int i) {
    return String.format(Locale.ROOT, "media-%03d", i);
  }

  /** Everything, in the order a GitOps tool applies it: what is referred to before what refers. */
  List<HasMetadata> all(Path samples) throws IOException {
    List<HasMetadata> all = new ArrayList<>();
    all.addAll(osImages(samples));
    all.addAll(distributionPoints(samples));
    all.addAll(deployments(samples));
    all.addAll(media(samples));
    return all;
  }

  List<OSImage> osImages(Path samples) throws IOException {
    List<OSImage> list = new ArrayList<>();
    for (int i = 0; i < images; i++) {
      OSImage image = sample(samples, "osimage.yaml", OSImage.class);
      image.getMetadata().setName(image(i));
      image.getSpec().getSource().setUrl("https://images.example.com/fleet/" + image(i) + ".wim");
      image.getSpec().setSha256(sha256(image(i)));
      list.add(image);
    }
    return list;
  }

  List<DistributionPoint> distributionPoints(Path samples) throws IOException {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < images; i++) {
      names.add(image(i));
    }
    List<DistributionPoint> list = new ArrayList<>();
    for (int i = 0; i < distributionPoints; i++) {
      DistributionPoint dp = sample(samples, "distributionpoint.yaml", DistributionPoint.class);
      dp.getMetadata().setName(distributionPoint(i));
      dp.getSpec().setNodeSelector(Map.of("osdeploy.io/site", "site-" + i));
      ImageSelection selection = new ImageSelection();
      selection.setNames(names);
      dp.getSpec().setOsImages(selection);
      // Ranges that overlap make the younger distribution point Stalled: one /24 each.
      DistributionPointMulticast.AddressRange range = dp.getSpec().getMulticast().getAddressRange();
      String prefix = "239." + (20 + i / 256) + "." + (i % 256) + ".";
      range.setStart(prefix + "1");
      range.setEnd(prefix + "254");
      list.add(dp);
    }
    return list;
  }

  List<TaskSequenceDeployment> deployments(Path samples) throws IOException {
    Availability[] availabilities = Availability.values();
    List<TaskSequenceDeployment> list = new ArrayList<>();
    for (int i = 0; i < deployments; i++) {
      TaskSequenceDeployment d =
          sample(samples, "tasksequencedeployment.yaml", TaskSequenceDeployment.class);
      d.getMetadata().setName(deployment(i));
      for (Step step : d.getSpec().getTaskSequence().getSteps()) {
        if (step.getApplyOperatingSystem() != null) {
          step.getApplyOperatingSystem().setOsImage(image((i / distributionPoints) % images));
        }
      }
      List<Target.Machine> machines = new ArrayList<>();
      for (int k = 0; k < machinesEach; k++) {
        int n = i * machinesEach + k;
        Target.Machine m = new Target.Machine();
        m.setName("pc-" + n);
        m.setMac(PolicyLookupBench.mac(n));
        machines.add(m);
      }
      d.getSpec().getTarget().setMachines(machines);
      d.getSpec().getTarget().setUnknownComputers(i % 10 == 0);
      d.getSpec().setAvailability(availabilities[i % availabilities.length]);
      d.getSpec().setDistributionPoints(List.of(distributionPoint(i % distributionPoints)));
      list.add(d);
    }
    return list;
  }

  List<BootableMedia> media(Path samples) throws IOException {
    List<BootableMedia> list = new ArrayList<>();
    for (int i = 0; i < media; i++) {
      BootableMedia m = sample(samples, "bootablemedia.yaml", BootableMedia.class);
      m.getMetadata().setName(media(i));
      m.getSpec().setDeployment(deployment(i));
      m.getSpec().setBootServers(null);
      list.add(m);
    }
    return list;
  }

  private static <T extends HasMetadata> T sample(Path samples, String file, Class<T> kind)
      throws IOException {
    return Serialization.unmarshal(Files.readString(samples.resolve(file)), kind);
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
