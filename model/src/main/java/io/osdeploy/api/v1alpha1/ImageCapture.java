package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Required;

/**
 * A disk or partition a captureImage step uploaded to a distribution point, as the daemon that
 * stored it checked it. Its fields are those of an {@link OSImageSpec} that publishes it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@SchemaCustomizer(
    value = Describe.class,
    input =
        "self: A disk or partition a captureImage step uploaded, as the distribution point that"
            + " stored it checked it; its fields are those of the OSImage spec that publishes it.")
public class ImageCapture {
  @Required
  @JsonPropertyDescription("The captureImage step's name.")
  private String name;

  @JsonPropertyDescription("MAC address of the machine captured (lower case, colons).")
  private String mac;

  @JsonPropertyDescription("SMBIOS UUID of the machine captured (lower case).")
  private String uuid;

  @Required
  @JsonPropertyDescription(
      "Where the compressed image is served, for an OSImage's source.url. The URL is the only"
          + " key to it: anyone who can read this status can download the image.")
  private String url;

  @Required
  @JsonPropertyDescription("SHA-256 of the compressed file at url, for the OSImage's sha256.")
  private String sha256;

  @Required
  @JsonPropertyDescription("Size in bytes of the compressed file at url.")
  private Long sizeBytes;

  @Required
  @JsonPropertyDescription("Disk (a whole disk) or Partition (one partition), for spec.format.")
  private OSImageSpec.Format format;

  @Required
  @JsonPropertyDescription("Always Zstd: captures are compressed with Zstandard.")
  private OSImageSpec.Compression compression;

  @Required
  @JsonPropertyDescription(
      "SHA-256 and size of the disk or partition as read, checked by the distribution point by"
          + " decompressing the upload.")
  private OSImageSpec.Uncompressed uncompressed;

  @JsonPropertyDescription("Kubernetes node of the daemon that stored it.")
  private String node;

  @Required
  @JsonPropertyDescription("When the daemon stored it (RFC 3339).")
  private String time;

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getMac() {
    return mac;
  }

  public void setMac(String mac) {
    this.mac = mac;
  }

  public String getUuid() {
    return uuid;
  }

  public void setUuid(String uuid) {
    this.uuid = uuid;
  }

  /** The machine, as its MAC or else its UUID. */
  public String machine() {
    return mac != null ? mac : uuid;
  }

  public String getUrl() {
    return url;
  }

  public void setUrl(String url) {
    this.url = url;
  }

  public String getSha256() {
    return sha256;
  }

  public void setSha256(String sha256) {
    this.sha256 = sha256;
  }

  public Long getSizeBytes() {
    return sizeBytes;
  }

  public void setSizeBytes(Long sizeBytes) {
    this.sizeBytes = sizeBytes;
  }

  public OSImageSpec.Format getFormat() {
    return format;
  }

  public void setFormat(OSImageSpec.Format format) {
    this.format = format;
  }

  public OSImageSpec.Compression getCompression() {
    return compression;
  }

  public void setCompression(OSImageSpec.Compression compression) {
    this.compression = compression;
  }

  public OSImageSpec.Uncompressed getUncompressed() {
    return uncompressed;
  }

  public void setUncompressed(OSImageSpec.Uncompressed uncompressed) {
    this.uncompressed = uncompressed;
  }

  public String getNode() {
    return node;
  }

  public void setNode(String node) {
    this.node = node;
  }

  public String getTime() {
    return time;
  }

  public void setTime(String time) {
    this.time = time;
  }
}
