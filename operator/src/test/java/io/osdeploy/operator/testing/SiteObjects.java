package io.osdeploy.operator.testing;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.DistributionPointSpec;
import io.osdeploy.api.v1alpha1.ImageSelection;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OSImageSpec;
import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.api.v1alpha1.Target;
import io.osdeploy.api.v1alpha1.TaskSequence;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec;
import io.osdeploy.digest.Sha256;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/**
 * The smallest site the integration tests build on: an image served over HTTP on loopback, an
 * OSImage for it, a distribution point holding it and deployments of it, applied the way a user's
 * git sync applies them.
 */
public final class SiteObjects implements AutoCloseable {
  private final KubernetesClient client;
  private final String namespace;
  private final String fieldManager;
  private final HttpServer source;
  private final byte[] content;
  private final String sha256;

  /**
   * Serves {@code size} seeded random bytes at {@code /test.img} on loopback for {@code
   * namespace}'s objects, applied by {@code fieldManager}.
   */
  public SiteObjects(KubernetesClient client, String namespace, String fieldManager, int size)
      throws IOException {
    this.client = client;
    this.namespace = namespace;
    this.fieldManager = fieldManager;
    content = new byte[size];
    new Random(size).nextBytes(content);
    sha256 = HexFormat.of().formatHex(Sha256.newDigest().digest(content));
    source = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    source.createContext(
        "/test.img",
        exchange -> {
          exchange.sendResponseHeaders(200, content.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(content);
          }
        });
    source.start();
  }

  public byte[] content() {
    return content.clone();
  }

  public String sha256() {
    return sha256;
  }

  /** The OSImage {@code name} of the served bytes. */
  public OSImage image(String name) {
    return image(name, sha256);
  }

  /** The OSImage {@code name} of the served bytes, said to have digest {@code sha256}. */
  public OSImage image(String name, String sha256) {
    OSImage image = new OSImage();
    image.getMetadata().setName(name);
    image.getMetadata().setNamespace(namespace);
    image.setSpec(new OSImageSpec());
    image.getSpec().setSource(new OSImageSpec.Source());
    image
        .getSpec()
        .getSource()
        .setUrl("http://127.0.0.1:" + source.getAddress().getPort() + "/test.img");
    image.getSpec().setSha256(sha256);
    image.getSpec().setSizeBytes((long) content.length);
    return apply(image);
  }

  /** The DistributionPoint {@code name} holding {@code images}. */
  public DistributionPoint distributionPoint(String name, String... images) {
    DistributionPoint dp = new DistributionPoint();
    dp.getMetadata().setName(name);
    dp.getMetadata().setNamespace(namespace);
    dp.setSpec(new DistributionPointSpec());
    dp.getSpec().setOsImages(new ImageSelection());
    dp.getSpec().getOsImages().setNames(List.of(images));
    return apply(dp);
  }

  /**
   * The TaskSequenceDeployment {@code name}: one step applying {@code image}, from {@code dp}, to
   * the machines with {@code macs}, offered to PXE and media.
   */
  public TaskSequenceDeployment deployment(String name, String dp, String image, String... macs) {
    TaskSequenceDeployment d = new TaskSequenceDeployment();
    d.getMetadata().setName(name);
    d.getMetadata().setNamespace(namespace);
    d.setSpec(new TaskSequenceDeploymentSpec());
    Step step = new Step();
    step.setName("Apply image");
    step.setApplyOperatingSystem(new Step.ApplyOperatingSystem());
    step.getApplyOperatingSystem().setOsImage(image);
    TaskSequence ts = new TaskSequence();
    ts.setSteps(List.of(step));
    d.getSpec().setTaskSequence(ts);
    Target target = new Target();
    List<Target.Machine> machines = new ArrayList<>();
    for (int i = 0; i < macs.length; i++) {
      Target.Machine machine = new Target.Machine();
      machine.setName("desk-" + (i + 1));
      machine.setMac(macs[i]);
      machines.add(machine);
    }
    target.setMachines(machines);
    d.getSpec().setTarget(target);
    d.getSpec().setAvailability(TaskSequenceDeploymentSpec.Availability.MediaAndPxe);
    d.getSpec().setDistributionPoints(List.of(dp));
    return apply(d);
  }

  private <T extends io.fabric8.kubernetes.api.model.HasMetadata> T apply(T item) {
    return client.resource(item).fieldManager(fieldManager).forceConflicts().serverSideApply();
  }

  @Override
  public void close() {
    source.stop(0);
  }
}
