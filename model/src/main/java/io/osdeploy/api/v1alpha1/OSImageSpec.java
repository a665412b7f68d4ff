package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class OSImageSpec {
  @Required
  @JsonPropertyDescription("Where distribution points download the image from.")
  private Source source;

  @Required
  @Pattern(Patterns.SHA256)
  @JsonPropertyDescription("SHA-256 of the whole image, 64 hex digits.")
  private String sha256;

  @Min(1)
  @Max(1099511627776.0)
  @JsonPropertyDescription("Size of the image in bytes; checked after download when set.")
  private Long sizeBytes;

  @Size(max = 128)
  @JsonPropertyDescription("Operating system and version, for people (e.g. \"Windows 11 24H2\").")
  private String osVersion;

  @JsonPropertyDescription("How the image may be sent by multicast.")
  private ImageMulticast multicast;

  @JsonPropertyDescription(
      "What the image holds. Partition (default): one file system, written to the partition a"
          + " partitionDisk step made (or to a step's destination). Disk: a whole disk with its"
          + " own partition table (EFI system partition included), written over the whole target"
          + " disk; its backup GPT is moved to the disk's end. Package: a driver or software"
          + " package that applyDriverPackage and installPackage steps name by osImage;"
          + " distributed like an image, never written to a disk.")
  private Format format;

  /** What an image holds, and so where the agent writes it. */
  public enum Format {
    Partition,
    Disk,
    Package
  }

  public Format getFormat() {
    return format;
  }

  public void setFormat(Format format) {
    this.format = format;
  }

  /** The format, with the default filled in. */
  public Format format() {
    return format == null ? Format.Partition : format;
  }

  public Source getSource() {
    return source;
  }

  public void setSource(Source source) {
    this.source = source;
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

  public String getOsVersion() {
    return osVersion;
  }

  public void setOsVersion(String osVersion) {
    this.osVersion = osVersion;
  }

  public ImageMulticast getMulticast() {
    return multicast;
  }

  public void setMulticast(ImageMulticast multicast) {
    this.multicast = multicast;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Source {
    @Required
    @Pattern(Patterns.HTTP_URL)
    @Size(max = 2048)
    @JsonPropertyDescription("http:// or https:// URL of the image.")
    private String url;

    public String getUrl() {
      return url;
    }

    public void setUrl(String url) {
      this.url = url;
    }
  }
}
