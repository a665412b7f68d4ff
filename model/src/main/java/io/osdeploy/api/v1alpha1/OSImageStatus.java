package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class OSImageStatus extends OsdeployStatus {
  @JsonPropertyDescription("Distribution points that hold a verified copy of this image.")
  private List<String> verifiedOn = new ArrayList<>();

  public List<String> getVerifiedOn() {
    return verifiedOn;
  }

  public void setVerifiedOn(List<String> verifiedOn) {
    this.verifiedOn = verifiedOn == null ? new ArrayList<>() : verifiedOn;
  }
}
