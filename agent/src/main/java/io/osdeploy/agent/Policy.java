package io.osdeploy.agent;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.policy.PolicyDocument;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The policy document a distribution point gives this machine ({@link PolicyDocument}), as the
 * agent works with it: the deployments offered, each step's content with its defaults filled in.
 */
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
    PolicyDocument document = JSON.readValue(body, PolicyDocument.class);
    List<Offer> offers = new ArrayList<>();
    for (PolicyDocument.Offer d : document.deployments()) {
      List<Step> steps = new ArrayList<>();
      List<ImageContent> images = new ArrayList<>();
      for (PolicyDocument.PolicyStep s : d.steps()) {
        steps.add(s);
        PolicyDocument.ContentSource c = s.getContent();
        images.add(
            c == null
                ? null
                : new ImageContent(
                    c.fetchable(),
                    c.osImage(),
                    c.sha256(),
                    c.sizeBytes() == null ? -1 : c.sizeBytes(),
                    c.unicastUrl(),
                    c.multicast(),
                    c.format() == null ? "Partition" : c.format(),
                    uncompressed(c),
                    c.imageIndex() == null ? 1 : c.imageIndex()));
      }
      offers.add(
          new Offer(
              d.name(),
              d.namespace(),
              d.machineName(),
              d.required(),
              d.deadline(),
              Boolean.TRUE.equals(d.deadlinePassed()),
              d.delivery(),
              steps,
              images));
    }
    return new Policy(List.copyOf(offers));
  }

  private static Uncompressed uncompressed(PolicyDocument.ContentSource content)
      throws IOException {
    String compression = content.compression() == null ? "None" : content.compression();
    if ("None".equals(compression)) {
      return null;
    }
    PolicyDocument.Uncompressed u = content.uncompressed();
    if (!"Zstd".equals(compression) || u == null || u.sha256() == null) {
      throw new IOException(
          "policy: image "
              + content.osImage()
              + ": compression "
              + compression
              + " this agent cannot expand, or without uncompressed.sha256 and sizeBytes");
    }
    return new Uncompressed(u.sha256(), u.sizeBytes());
  }

  Offer find(String name) {
    return deployments.stream().filter(d -> d.name().equals(name)).findFirst().orElse(null);
  }
}
