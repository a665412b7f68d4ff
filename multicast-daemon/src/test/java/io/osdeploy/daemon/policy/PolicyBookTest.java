package io.osdeploy.daemon.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.osdeploy.api.v1alpha1.ImageMulticast;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OSImageSpec;
import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.api.v1alpha1.Target;
import io.osdeploy.api.v1alpha1.TaskSequence;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec.Availability;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec.Delivery;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec.Purpose;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyBookTest {
  private static final String MAC = "52:54:00:00:00:01";
  private static final String SHA = "d".repeat(64);
  private static final Clock NOW =
      Clock.fixed(Instant.parse("2026-11-23T12:00:00Z"), ZoneOffset.UTC);

  private static TaskSequenceDeployment deployment(
      String name, Purpose purpose, String deadline, Delivery delivery) {
    Step step = new Step();
    step.setName("Apply");
    step.setApplyOperatingSystem(new Step.ApplyOperatingSystem());
    step.getApplyOperatingSystem().setOsImage("win11");
    TaskSequence ts = new TaskSequence();
    ts.setSteps(List.of(step));
    Target.Machine m = new Target.Machine();
    m.setName("desk");
    m.setMac(MAC);
    Target target = new Target();
    target.setMachines(List.of(m));
    TaskSequenceDeployment d = new TaskSequenceDeployment();
    d.getMetadata().setName(name);
    d.setSpec(new TaskSequenceDeploymentSpec());
    d.getSpec().setTaskSequence(ts);
    d.getSpec().setTarget(target);
    d.getSpec().setAvailability(Availability.ClientsMediaAndPxe);
    d.getSpec().setPurpose(purpose);
    d.getSpec().setDeadline(deadline);
    d.getSpec().setDelivery(delivery);
    return d;
  }

  private static OSImage image(boolean multicastOnly) {
    OSImage image = new OSImage();
    image.getMetadata().setName("win11");
    image.setSpec(new OSImageSpec());
    image.getSpec().setSha256(SHA.toUpperCase());
    image.getSpec().setSizeBytes(1000L);
    ImageMulticast m = new ImageMulticast();
    m.setMulticastOnly(multicastOnly);
    image.getSpec().setMulticast(m);
    return image;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> deployments(PolicyBook book) {
    // As the agent receives it: the typed document, written as JSON.
    return (List<Map<String, Object>>)
        new com.fasterxml.jackson.databind.ObjectMapper()
            .convertValue(
                book.answer(
                    new PolicyRequest(MAC, null, PolicyRequest.Source.PXE, null), "http://dp:9080"),
                Map.class)
            .get("deployments");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> content(Map<String, Object> deployment) {
    List<Map<String, Object>> steps = (List<Map<String, Object>>) deployment.get("steps");
    return (Map<String, Object>) steps.get(0).get("content");
  }

  @Test
  void requiredIsFlaggedAndAPastDeadlineIsAcceptedAndFlagged() {
    PolicyBook book = new PolicyBook(NOW);
    book.publish(
        List.of(
            deployment("past", Purpose.Required, "2026-11-01T00:00:00Z", null),
            deployment("future", Purpose.Required, "2026-12-24T00:00:00+01:00", null),
            deployment("optional", null, null, null)),
        List.of(image(false)));
    List<Map<String, Object>> offered = deployments(book);
    assertEquals(
        List.of("future", "optional", "past"), offered.stream().map(d -> d.get("name")).toList());
    assertEquals(true, offered.get(0).get("required"));
    assertEquals(false, offered.get(0).get("deadlinePassed"));
    assertEquals("Available", offered.get(1).get("purpose"));
    assertEquals(false, offered.get(1).get("required"));
    assertEquals(true, offered.get(2).get("deadlinePassed"));
  }

  @Test
  void aWindowsImageCarriesItsIndexAndTheMachineItsTargetName() {
    PolicyBook book = new PolicyBook(NOW);
    OSImage wim = image(false);
    wim.getSpec().setFormat(OSImageSpec.Format.Wim);
    wim.getSpec().setImageIndex(3);
    book.publish(List.of(deployment("windows", null, null, null)), List.of(wim));
    Map<String, Object> offered = deployments(book).get(0);
    assertEquals("desk", offered.get("machineName"));
    assertEquals("Wim", content(offered).get("format"));
    assertEquals(3, content(offered).get("imageIndex"));

    // Another machine, unknown to the deployment, is offered nothing under that name.
    PolicyRequest stranger =
        new PolicyRequest("52:54:00:00:00:99", null, PolicyRequest.Source.PXE, null);
    assertEquals(List.of(), book.offered(stranger));
  }

  @Test
  void mediaThatPinsADeploymentAsksForIt() {
    PolicyBook book = new PolicyBook(NOW);
    TaskSequenceDeployment hidden = deployment("hidden", null, null, null);
    hidden.getSpec().setAvailability(Availability.MediaAndPxeHidden);
    book.publish(List.of(hidden), List.of(image(false)), Map.of("usb-7", "hidden"));
    PolicyRequest fromMedia = new PolicyRequest(MAC, null, PolicyRequest.Source.MEDIA, null);
    assertEquals(List.of(), book.offered(fromMedia));
    PolicyRequest pinned = book.pinnedBy(fromMedia, "usb-7");
    assertEquals("hidden", pinned.deployment());
    assertEquals(1, book.offered(pinned).size());
    assertEquals(fromMedia, book.pinnedBy(fromMedia, "unknown-media"));
    assertEquals(fromMedia, book.pinnedBy(fromMedia, null));
  }

  @Test
  void contentNamesTheSha256AndTheUnicastUrl() {
    PolicyBook book = new PolicyBook(NOW);
    book.publish(List.of(deployment("d", null, null, null)), List.of(image(false)));
    Map<String, Object> content = content(deployments(book).get(0));
    assertEquals(SHA, content.get("sha256"));
    assertEquals("http://dp:9080/content/win11", content.get("unicastUrl"));
    assertEquals(true, content.get("multicast"));
  }

  @Test
  void noUnicastUrlWhenTheImageOrTheDeploymentIsMulticastOnly() {
    PolicyBook book = new PolicyBook(NOW);
    book.publish(List.of(deployment("d", null, null, null)), List.of(image(true)));
    assertNull(content(deployments(book).get(0)).get("unicastUrl"));
    book.publish(
        List.of(deployment("d", null, null, Delivery.MulticastOnly)), List.of(image(false)));
    assertNull(content(deployments(book).get(0)).get("unicastUrl"));
  }

  @Test
  void withoutUnicastFallbackAnImageThatComesByMulticastComesOnlySo() {
    PolicyBook book = new PolicyBook(NOW);
    book.setUnicastFallback(false);
    book.publish(List.of(deployment("d", null, null, null)), List.of(image(false)));
    Map<String, Object> content = content(deployments(book).get(0));
    assertEquals(true, content.get("multicast"));
    assertNull(content.get("unicastUrl"), "no unicast to finish an incomplete multicast");
    book.publish(List.of(deployment("d", null, null, Delivery.Unicast)), List.of(image(false)));
    assertEquals(
        "http://dp:9080/content/win11",
        content(deployments(book).get(0)).get("unicastUrl"),
        "a unicast deployment still gets its route");
    book.setMulticastEnabled(false);
    book.publish(List.of(deployment("d", null, null, null)), List.of(image(false)));
    assertEquals(
        "http://dp:9080/content/win11",
        content(deployments(book).get(0)).get("unicastUrl"),
        "without multicast on the distribution point, unicast is the route");
  }

  @Test
  void aCompressedImageNamesWhatItExpandsTo() {
    PolicyBook book = new PolicyBook(NOW);
    OSImage compressed = image(false);
    compressed.getSpec().setCompression(OSImageSpec.Compression.Zstd);
    compressed.getSpec().setUncompressed(new OSImageSpec.Uncompressed("E".repeat(64), 4000L));
    book.publish(List.of(deployment("d", null, null, null)), List.of(compressed));
    Map<String, Object> content = content(deployments(book).get(0));
    assertEquals("Zstd", content.get("compression"));
    assertEquals(SHA, content.get("sha256"), "what travels");
    assertEquals(1000L, content.get("sizeBytes"));
    assertEquals(Map.of("sha256", "e".repeat(64), "sizeBytes", 4000L), content.get("uncompressed"));
    book.publish(List.of(deployment("d", null, null, null)), List.of(image(false)));
    assertNull(content(deployments(book).get(0)).get("compression"));
    assertNull(content(deployments(book).get(0)).get("uncompressed"));
  }

  @Test
  void anImageWithoutSizeBytesHasTheSizeOfTheVerifiedCopy() {
    PolicyBook book = new PolicyBook(NOW);
    OSImage unsized = image(false);
    unsized.getSpec().setSizeBytes(null);
    book.publish(List.of(deployment("d", null, null, null)), List.of(unsized));
    assertNull(content(deployments(book).get(0)).get("sizeBytes"), "no copy verified yet");
    book.setVerifiedSizes(image -> image.equals("win11") ? 4096L : null);
    assertEquals(4096L, content(deployments(book).get(0)).get("sizeBytes"));
  }

  @Test
  void aTokenCoversTheImagesADeploymentAppliesAndThePackagesThisDistributionPointHolds() {
    TaskSequenceDeployment d = deployment("rollout", Purpose.Available, null, Delivery.Unicast);
    List<Step> steps = new java.util.ArrayList<>(d.getSpec().getTaskSequence().getSteps());
    for (String url :
        List.of(
            "http://dp:9080/content/tools",
            "http://dp:9080/content/not-held",
            "https://files.example/drivers.zip",
            "not a url at all")) {
      Step pkg = new Step();
      pkg.setName("Package");
      pkg.setInstallPackage(new Step.Content());
      pkg.getInstallPackage().setUrl(url);
      steps.add(pkg);
    }
    d.getSpec().getTaskSequence().setSteps(steps);
    OSImage tools = image(false);
    tools.getMetadata().setName("tools");
    PolicyBook book = new PolicyBook(NOW);
    book.publish(List.of(d), List.of(image(false), tools));
    assertEquals(List.of("tools", "win11"), book.imagesOf(List.of("rollout", "gone")));
    assertEquals(List.of(), book.imagesOf(List.of("gone")));
  }

  @Test
  @SuppressWarnings("unchecked")
  void aPackageNamedByOsImageComesFromTheDistributionPointLikeAnImage() {
    TaskSequenceDeployment d = deployment("rollout", Purpose.Available, null, null);
    Step pkg = new Step();
    pkg.setName("Drivers");
    pkg.setApplyDriverPackage(new Step.Content());
    pkg.getApplyDriverPackage().setOsImage("drivers");
    Step elsewhere = new Step();
    elsewhere.setName("Elsewhere");
    elsewhere.setApplyDriverPackage(new Step.Content());
    elsewhere.getApplyDriverPackage().setOsImage("not-held");
    d.getSpec()
        .getTaskSequence()
        .setSteps(List.of(d.getSpec().getTaskSequence().getSteps().get(0), pkg, elsewhere));
    OSImage drivers = image(false);
    drivers.getMetadata().setName("drivers");
    drivers.getSpec().setFormat(OSImageSpec.Format.Package);
    PolicyBook book = new PolicyBook(NOW);
    book.publish(List.of(d), List.of(image(false), drivers));
    List<Map<String, Object>> steps =
        (List<Map<String, Object>>) deployments(book).get(0).get("steps");
    Map<String, Object> content = (Map<String, Object>) steps.get(1).get("content");
    assertEquals("drivers", content.get("osImage"));
    assertEquals("Package", content.get("format"));
    assertEquals(SHA, content.get("sha256"));
    assertEquals("http://dp:9080/content/drivers", content.get("unicastUrl"));
    assertEquals(
        false,
        ((Map<String, Object>) steps.get(2).get("content")).get("available"),
        "a package this distribution point does not hold");
    // The machine's token covers the package it fetches here, not the one it cannot.
    assertEquals(List.of("drivers", "win11"), book.imagesOf(List.of("rollout")));
  }
}
