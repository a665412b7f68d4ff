package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Required;

@JsonInclude(JsonInclude.Include.NON_NULL)
@SchemaCustomizer(
    value = Describe.class,
    input =
        "self: One live multicast session of the node: waiting for machines, sending, repairing.")
public class MulticastSessionState {
  public enum State {
    Waiting,
    Sending,
    Repairing
  }

  @Required
  @JsonPropertyDescription("The OSImage the session sends.")
  private String image;

  @Required
  @JsonPropertyDescription(
      "Waiting (for machines to join), Sending (the first pass over the image) or Repairing"
          + " (resending what machines missed).")
  private State state;

  @JsonPropertyDescription("Machines that joined the session.")
  private Integer machines;

  @JsonPropertyDescription(
      "While Waiting: how many more machines it waits for (multicast.sessionStart.minClients).")
  private Integer waitingFor;

  @JsonPropertyDescription(
      "While Waiting: when it starts at the latest (multicast.sessionStart.maxWaitSeconds after"
          + " it opened), RFC 3339.")
  private String startsBy;

  public MulticastSessionState() {}

  public MulticastSessionState(
      String image, State state, Integer machines, Integer waitingFor, String startsBy) {
    this.image = image;
    this.state = state;
    this.machines = machines;
    this.waitingFor = waitingFor;
    this.startsBy = startsBy;
  }

  public String getImage() {
    return image;
  }

  public void setImage(String image) {
    this.image = image;
  }

  public State getState() {
    return state;
  }

  public void setState(State state) {
    this.state = state;
  }

  public Integer getMachines() {
    return machines;
  }

  public void setMachines(Integer machines) {
    this.machines = machines;
  }

  public Integer getWaitingFor() {
    return waitingFor;
  }

  public void setWaitingFor(Integer waitingFor) {
    this.waitingFor = waitingFor;
  }

  public String getStartsBy() {
    return startsBy;
  }

  public void setStartsBy(String startsBy) {
    this.startsBy = startsBy;
  }
}
