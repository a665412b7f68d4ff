package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class BootableMediaStatus extends OsdeployStatus {
  @JsonPropertyDescription("The built boot artifact.")
  private Artifact artifact;

  public Artifact getArtifact() {
    return artifact;
  }

  public void setArtifact(Artifact artifact) {
    this.artifact = artifact;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Artifact {
    @JsonPropertyDescription("Where to download the ISO image; the operator serves it.")
    private String url;

    @JsonPropertyDescription("SHA-256 of the ISO image, 64 hex digits.")
    private String sha256;

    @JsonPropertyDescription("Size of the ISO image in bytes.")
    private Long sizeBytes;

    @JsonPropertyDescription("SHA-256 over the inputs the artifact was built from.")
    private String inputsDigest;

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

    public String getInputsDigest() {
      return inputsDigest;
    }

    public void setInputsDigest(String inputsDigest) {
      this.inputsDigest = inputsDigest;
    }
  }
}
