package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Required;

/** A node's copy of one OS image. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@SchemaCustomizer(
    value = Describe.class,
    input = "self: A node's copy of one OS image, or of one file of the boot environment.")
public class ImageState {
  /** Where a node's copy of an image stands. */
  public enum Phase {
    Pending,
    Downloading,
    Verified,
    Failed
  }

  /** Why a node could not get a verified copy; each is explained in docs/distribution-points.md. */
  public static final String CHECKSUM_MISMATCH = "ChecksumMismatch";

  public static final String SIZE_MISMATCH = "SizeMismatch";
  public static final String SOURCE_UNREACHABLE = "SourceUnreachable";
  public static final String SOURCE_ERROR = "SourceError";
  public static final String DISK_FULL = "DiskFull";
  public static final String WRITE_ERROR = "WriteError";

  @Required
  @JsonPropertyDescription("OSImage name.")
  private String name;

  @JsonPropertyDescription("The SHA-256 this state is about (the OSImage's spec.sha256).")
  private String sha256;

  @Required
  @JsonPropertyDescription(
      "Where the node's copy stands: Pending (not fetched yet), Downloading (being"
          + " downloaded or checked), Verified (matches its SHA-256), Failed (see reason and"
          + " message; the daemon tries again).")
  private Phase state;

  @JsonPropertyDescription("Bytes downloaded and verified so far.")
  private Long bytes;

  @JsonPropertyDescription(
      "Size in bytes, when known: the OSImage's spec.sizeBytes or the size the source"
          + " announced; once Verified, the size of the verified copy.")
  private Long totalBytes;

  @JsonPropertyDescription("CamelCase reason when Failed, e.g. ChecksumMismatch, DiskFull.")
  private String reason;

  @JsonPropertyDescription("When Failed: what went wrong, e.g. the file and the system's error.")
  private String message;

  public ImageState() {}

  public ImageState(String name, String sha256, Phase state) {
    this.name = name;
    this.sha256 = sha256;
    this.state = state;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getSha256() {
    return sha256;
  }

  public void setSha256(String sha256) {
    this.sha256 = sha256;
  }

  public Phase getState() {
    return state;
  }

  public void setState(Phase state) {
    this.state = state;
  }

  public Long getBytes() {
    return bytes;
  }

  public void setBytes(Long bytes) {
    this.bytes = bytes;
  }

  public Long getTotalBytes() {
    return totalBytes;
  }

  public void setTotalBytes(Long totalBytes) {
    this.totalBytes = totalBytes;
  }

  public String getReason() {
    return reason;
  }

  public void setReason(String reason) {
    this.reason = reason;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }
}
