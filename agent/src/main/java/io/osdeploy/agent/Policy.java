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
   * @param machineName the name of the deployment's target entry for this machine, or null for an
   *     unknown computer
   */
  record Offer(
      String name,
      String namespace,
      String machineName,
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
   * @param format the OSImage's format: Partition, Disk (a whole disk), Package or Wim
   * @param sha256 of what travels: the compressed bytes when {@code uncompressed} is set
   * @param sizeBytes of what travels
   * @param uncompressed what a Zstandard-compressed image expands to, or null: the image travels as
   *     it is written
   * @param imageIndex which image of a Windows image file to apply (format Wim)
   */
  record ImageContent(
      boolean available,
      String osImage,
      String sha256,
      long sizeBytes,
      String unicastUrl,
      boolean multicast,
      String format,
      Uncompressed uncompressed,
      int imageIndex) {
    /** Whether the image is a whole disk with its own partition table. */
    boolean wholeDisk() {
      return "Disk".equals(format);
    }

    /** Whether the image is a Windows image file, applied with wimlib. */
    boolean wim() {
      return "Wim".equals(format);
    }

    /** The size of what is written: the image after decompression. */
    long writtenBytes() {
      return uncompressed != null ? uncompressed.sizeBytes() : sizeBytes;
    }

    /** The SHA-256 of what is written. */
    String writtenSha256() {
      return uncompressed != null ? uncompressed.sha256() : sha256;
    }
  }

  /** A compressed image's SHA-256 and size after decompression. */
  record Uncompressed(String sha256, long sizeBytes) {}

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
                    c.path("format").asText("Partition"),
                    uncompressed(c),
                    c.path("imageIndex").asInt(1)));
      }
      offers.add(
          new Offer(
              d.path("name").asText(),
              d.path("namespace").asText(null),
              d.hasNonNull("machineName") ? d.get("machineName").asText() : null,
              d.path("required").asBoolean(false),
              d.hasNonNull("deadline") ? d.get("deadline").asText() : null,
              d.path("deadlinePassed").asBoolean(false),
              d.path("delivery").asText("MulticastPreferred"),
              steps,
              images));
    }
    return new Policy(List.copyOf(offers));
  }

  private static Uncompressed uncompressed(JsonNode content) throws IOException {
    String compression = content.path("compression").asText("None");
    if ("None".equals(compression)) {
      return null;
    }
    JsonNode u = content.path("uncompressed");
    if (!"Zstd".equals(compression) || !u.hasNonNull("sha256") || !u.hasNonNull("sizeBytes")) {
      throw new IOException(
          "policy: image "
              + content.path("osImage").asText()
              + ": compression "
              + compression
              + " this agent cannot expand, or without uncompressed.sha256 and sizeBytes");
    }
    return new Uncompressed(u.get("sha256").asText(), u.get("sizeBytes").asLong());
  }

  Offer find(String name) {
    return deployments.stream().filter(d -> d.name().equals(name)).findFirst().orElse(null);
  }
}
