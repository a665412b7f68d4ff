package io.osdeploy.policy;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec;
import java.util.List;

/**
 * The policy document a distribution point gives a machine ({@code GET /v1/policy}): the
 * deployments offered to it, each with its steps and, for a step that applies an image or a package
 * from the distribution points, where that content comes from. The daemon writes it and the agent
 * reads it with these same types; a field either side does not know is ignored, so that an agent
 * and a daemon one release apart still understand each other.
 *
 * @param machine the machine the document is for, as it identified itself
 * @param source where the machine booted from: pxe, media or client
 * @param deployments the deployments offered to it, in name order
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record PolicyDocument(Machine machine, String source, List<Offer> deployments) {
  public PolicyDocument {
    deployments = deployments == null ? List.of() : List.copyOf(deployments);
  }

  /** The same document with only the deployments named in {@code names}. */
  public PolicyDocument onlyThose(java.util.Collection<String> names) {
    return new PolicyDocument(
        machine, source, deployments.stream().filter(d -> names.contains(d.name())).toList());
  }

  /** A machine by its MAC address and SMBIOS UUID (either may be null). */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Machine(String mac, String uuid) {}

  /**
   * One deployment offered to the machine.
   *
   * @param machineName the name of the deployment's target entry for the machine; null for an
   *     unknown computer
   * @param purpose Available or Required
   * @param required whether the purpose is Required
   * @param availability where the deployment is offered (the spec's availability)
   * @param delivery how images travel; absent: MulticastPreferred, the spec's default
   * @param deadline the deadline (RFC 3339), or null
   * @param deadlinePassed with a deadline: whether the distribution point saw it pass
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Offer(
      String name,
      String namespace,
      String machineName,
      String purpose,
      boolean required,
      String availability,
      String delivery,
      String deadline,
      Boolean deadlinePassed,
      List<PolicyStep> steps) {
    public Offer {
      steps = steps == null ? List.of() : List.copyOf(steps);
      if (delivery == null) {
        delivery = TaskSequenceDeploymentSpec.Delivery.MulticastPreferred.name();
      }
    }
  }

  /** A step as the deployment has it, with the content it fetches from the distribution points. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static final class PolicyStep extends Step {
    private ContentSource content;

    public ContentSource getContent() {
      return content;
    }

    public void setContent(ContentSource content) {
      this.content = content;
    }
  }

  /**
   * Where a step's image or package comes from.
   *
   * @param available false when the OSImage is not published (yet); the rest is then absent
   * @param format Partition, Disk, Package or Wim
   * @param imageIndex which image of a Windows image file (format Wim)
   * @param sha256 of what travels: the compressed bytes when {@code compression} is not None
   * @param sizeBytes of what travels
   * @param compression None or Zstd; null: None
   * @param uncompressed with compression: what the bytes expand to
   * @param unicastUrl where the content is fetched by HTTP; null when only multicast may carry it
   * @param multicast whether to join a multicast session for it
   * @param multicastJoinUrl where to join that session
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record ContentSource(
      Boolean available,
      String osImage,
      String format,
      Integer imageIndex,
      String sha256,
      Long sizeBytes,
      String compression,
      Uncompressed uncompressed,
      String unicastUrl,
      boolean multicast,
      String multicastJoinUrl) {
    /** Content whose OSImage is not published: the step cannot run. */
    public static ContentSource unavailable() {
      return new ContentSource(false, null, null, null, null, null, null, null, null, false, null);
    }

    /** Whether it can be fetched at all (absent: yes). */
    public boolean fetchable() {
      return available == null || available;
    }
  }

  /** What a compressed image expands to. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Uncompressed(String sha256, long sizeBytes) {}
}
