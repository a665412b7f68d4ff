package io.osdeploy.agent;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.osdeploy.api.v1alpha1.Step;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The policy document a distribution point gives this machine: the deployments offered to it. */
record Policy(List<Offer> deployments) {
  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * One deployment offered to the machine, with its steps.
   *
   * @param deadline the deployment's deadline (RFC 3339), or null
   * @param deadlinePassed whether the distribution point saw the deadline pass
   */
  record Offer(
      String name,
      String namespace,
      boolean required,
      String deadline,
      boolean deadlinePassed,
      String delivery,
      List<Step> steps,
      List<ImageContent> images) {
    /** The image content of step {@code i}, or null for a step that applies no image. */
    ImageContent image(int i) {
      return images.get(i);
    }
  }

  /**
   * Where an applyOperatingSystem step's image comes from.
   *
   * @param unicastUrl null when the image may only come by multicast
   * @param multicast whether to join a multicast session for it
   * @param wholeDisk whether the image is a whole disk (format Disk) rather than a partition
   */
  record ImageContent(
      boolean available,
      String osImage,
      String sha256,
      long sizeBytes,
      String unicastUrl,
      boolean multicast,
      boolean wholeDisk) {}

  static Policy parse(byte[] body) throws IOException {
    JsonNode root = JSON.readTree(body);
    List<Offer> offers = new ArrayList<>();
    for (JsonNode d : root.path("deployments")) {
      List<Step> steps = new ArrayList<>();
      List<ImageContent> images = new ArrayList<>();
      for (JsonNode s : d.path("steps")) {
        steps.add(JSON.treeToValue(s, Step.class));
        JsonNode c = s.get("content");
        images.add(
            c == null
                ? null
                : new ImageContent(
                    c.path("available").asBoolean(true),
                    c.path("osImage").asText(null),
                    c.path("sha256").asText(null),
                    c.path("sizeBytes").asLong(-1),
                    c.hasNonNull("unicastUrl") ? c.get("unicastUrl").asText() : null,
                    c.path("multicast").asBoolean(false),
                    "Disk".equals(c.path("format").asText("Partition"))));
      }
      offers.add(
          new Offer(
              d.path("name").asText(),
              d.path("namespace").asText(null),
              d.path("required").asBoolean(false),
              d.hasNonNull("deadline") ? d.get("deadline").asText() : null,
              d.path("deadlinePassed").asBoolean(false),
              d.path("delivery").asText("MulticastPreferred"),
              steps,
              images));
    }
    return new Policy(List.copyOf(offers));
  }

  Offer find(String name) {
    return deployments.stream().filter(d -> d.name().equals(name)).findFirst().orElse(null);
  }
}
