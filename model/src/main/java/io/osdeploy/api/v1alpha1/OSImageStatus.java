package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_EMPTY)
@SchemaCustomizer(
    value = Describe.class,
    input = "self.verifiedOn[]: Name of a DistributionPoint in the same namespace.")
public class OSImageStatus extends OsdeployStatus {
  @JsonPropertyDescription("How many DistributionPoints are to hold this image.")
  private Integer targetedBy;

  @JsonPropertyDescription("DistributionPoints on whose every node the image is verified.")
  private List<String> verifiedOn = new ArrayList<>();

  public Integer getTargetedBy() {
    return targetedBy;
  }

  public void setTargetedBy(Integer targetedBy) {
    this.targetedBy = targetedBy;
  }

  public List<String> getVerifiedOn() {
    return verifiedOn;
  }

  public void setVerifiedOn(List<String> verifiedOn) {
    this.verifiedOn = verifiedOn == null ? new ArrayList<>() : verifiedOn;
  }
}
