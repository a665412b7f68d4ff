package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
@SchemaCustomizer(
    value = Describe.class,
    input = "self.distributionPoints[]: Name of a DistributionPoint in the same namespace.")
public class TaskSequenceDeploymentSpec {
  @Required
  @JsonPropertyDescription("The ordered steps to run.")
  private TaskSequence taskSequence;

  @Required
  @JsonPropertyDescription("The collection of machines this deployment is for.")
  private Target target;

  @Required
  @JsonPropertyDescription(
      "Who may run it: ClientsMediaAndPxe (running clients, media and PXE), MediaAndPxe (media and"
          + " PXE only), MediaAndPxeHidden (media and PXE, only when the request names it).")
  private Availability availability;

  @JsonPropertyDescription("Available (a person chooses it) or Required (starts by itself).")
  private Purpose purpose;

  @Pattern(Patterns.DATE_TIME)
  @JsonPropertyDescription(
      "RFC 3339 time. On installed machines (source client) the agent runs a Required deployment"
          + " by itself only once the deadline has passed; before, a person may start it."
          + " Machines booted from media or PXE, which have no resident client, run a Required"
          + " deployment at once.")
  private String deadline;

  @Required
  @Size(min = 1, max = 100)
  @JsonPropertyDescription("DistributionPoints (same namespace) that serve this deployment.")
  private List<@Pattern(Patterns.OBJECT_NAME) String> distributionPoints;

  @JsonPropertyDescription(
      "How images travel: MulticastPreferred (default), Unicast, MulticastOnly.")
  private Delivery delivery;

  public TaskSequence getTaskSequence() {
    return taskSequence;
  }

  public void setTaskSequence(TaskSequence taskSequence) {
    this.taskSequence = taskSequence;
  }

  public Target getTarget() {
    return target;
  }

  public void setTarget(Target target) {
    this.target = target;
  }

  public Availability getAvailability() {
    return availability;
  }

  public void setAvailability(Availability availability) {
    this.availability = availability;
  }

  public Purpose getPurpose() {
    return purpose;
  }

  public void setPurpose(Purpose purpose) {
    this.purpose = purpose;
  }

  public String getDeadline() {
    return deadline;
  }

  public void setDeadline(String deadline) {
    this.deadline = deadline;
  }

  public List<String> getDistributionPoints() {
    return distributionPoints;
  }

  public void setDistributionPoints(List<String> distributionPoints) {
    this.distributionPoints = distributionPoints;
  }

  public Delivery getDelivery() {
    return delivery;
  }

  /** How images travel, with the default filled in. */
  public Delivery delivery() {
    return delivery == null ? Delivery.MulticastPreferred : delivery;
  }

  public void setDelivery(Delivery delivery) {
    this.delivery = delivery;
  }

  public enum Availability {
    ClientsMediaAndPxe,
    MediaAndPxe,
    MediaAndPxeHidden
  }

  public enum Purpose {
    Available,
    Required
  }

  public enum Delivery {
    MulticastPreferred,
    Unicast,
    MulticastOnly
  }
}
