package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The part of the status every kind shares: observedGeneration and conditions. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class OsdeployStatus {
  /**
   * The status the API server shows until the operator first reports (a schema default): a
   * Reconciling condition, so that kstatus, Argo CD and Flux never read a resource the operator has
   * not seen yet as current.
   */
  public static final String NOT_OBSERVED =
      "{\"conditions\":[{\"type\":\"Reconciling\",\"status\":\"True\","
          + "\"reason\":\"NotObserved\","
          + "\"message\":\"the operator has not reported on this resource yet\"}]}";

  @JsonPropertyDescription("The metadata.generation the operator last reported on.")
  private Long observedGeneration;

  @JsonPropertyDescription(
      "Ready, Reconciling and Stalled, following kstatus; of these, exactly one is True."
          + " Ready: the resource is what its spec asks for. Reconciling: work is in progress,"
          + " or the resource waits for something that can arrive by itself. Stalled: an error"
          + " that only a change to the spec fixes.")
  private List<Condition> conditions = new ArrayList<>();

  public Long getObservedGeneration() {
    return observedGeneration;
  }

  public void setObservedGeneration(Long observedGeneration) {
    this.observedGeneration = observedGeneration;
  }

  public List<Condition> getConditions() {
    return conditions;
  }

  public void setConditions(List<Condition> conditions) {
    this.conditions = conditions == null ? new ArrayList<>() : conditions;
  }

  public Optional<Condition> condition(String type) {
    return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }
}
