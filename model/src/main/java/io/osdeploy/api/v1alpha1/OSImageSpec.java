package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "!has(self.compression) || self.compression == 'None' || has(self.uncompressed)",
    message = "compression Zstd needs uncompressed.sha256 and uncompressed.sizeBytes",
    fieldPath = ".uncompressed")
@ValidationRule(
    value = "!has(self.uncompressed) || (has(self.compression) && self.compression != 'None')",
    message = "uncompressed is only for a compressed image (compression: Zstd)",
    fieldPath = ".uncompressed")
@ValidationRule(
    value = "!has(self.imageIndex) || (has(self.format) && self.format == 'Wim')",
    message = "imageIndex is only for a Windows image (format: Wim)",
    fieldPath = ".imageIndex")
public class OSImageSpec {
  @Required
  @JsonPropertyDescription("Where distribution points download the image from.")
  private Source source;

  @Required
  @Pattern(Patterns.SHA256)
  @JsonPropertyDescription(
      "SHA-256 of the file at source.url, 64 hex digits: of the compressed bytes when compression"
          + " is Zstd, which is what distribution points store and send.")
  private String sha256;

  @Min(1)
  @Max(1099511627776.0)
  @JsonPropertyDescription(
      "Size in bytes of the file at source.url (compressed when compression is Zstd); checked"
          + " after download when set.")
  private Long sizeBytes;

  @JsonPropertyDescription(
      "How the file at source.url is compressed. None (default): it is the image itself. Zstd:"
          + " a Zstandard stream (zstd -T0 image.img); distribution points store and send it as"
          + " it is, and the agent decompresses it as it writes, checking the SHA-256 of what"
          + " travelled and of what it wrote (uncompressed.sha256).")
  private Compression compression;

  @JsonPropertyDescription(
      "The image before compression: required with compression Zstd, refused without.")
  private Uncompressed uncompressed;

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
          + " distributed like an image, never written to a disk. Wim: a Windows image file"
          + " (.wim, as Configuration Manager, DISM or wimlib capture it), applied with wimlib"
          + " to the NTFS Windows partition of a partitionDisk step with layout Windows, with"
          + " boot files from the image's own Windows\\Boot.")
  private Format format;

  @Min(1)
  @Max(1000)
  @JsonPropertyDescription(
      "Which image of a Windows image file to apply (format Wim; 1, the default, is the first),"
          + " as wimlib-imagex info or dism /Get-WimInfo number them.")
  private Integer imageIndex;

  public Integer getImageIndex() {
    return imageIndex;
  }

  public void setImageIndex(Integer imageIndex) {
    this.imageIndex = imageIndex;
  }

  /** The image index, with the default filled in. */
  public int imageIndex() {
    return imageIndex == null ? 1 : imageIndex;
  }

  /** How the file at the source is compressed. */
  public enum Compression {
    None,
    Zstd
  }

  /** The compression, with the default filled in. */
  public Compression compression() {
    return compression == null ? Compression.None : compression;
  }

  public Compression getCompression() {
    return compression;
  }

  public void setCompression(Compression compression) {
    this.compression = compression;
  }

  public Uncompressed getUncompressed() {
    return uncompressed;
  }

  public void setUncompressed(Uncompressed uncompressed) {
    this.uncompressed = uncompressed;
  }

  /** What the agent writes after decompressing: checked as it is written. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Uncompressed {
    @Required
    @Pattern(Patterns.SHA256)
    @JsonPropertyDescription("SHA-256 of the image after decompression, 64 hex digits.")
    private String sha256;

    @Required
    @Min(1)
    @Max(1099511627776.0)
    @JsonPropertyDescription(
        "Size in bytes of the image after decompression: what must fit the disk or partition.")
    private Long sizeBytes;

    public Uncompressed() {}

    public Uncompressed(String sha256, long sizeBytes) {
      this.sha256 = sha256;
      this.sizeBytes = sizeBytes;
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
  }

  /** What an image holds, and so where the agent writes it. */
  public enum Format {
    Partition,
    Disk,
    Package,
    Wim
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
