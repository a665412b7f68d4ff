package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** Where one machine stands in a deployment, as its agent last reported it to a daemon. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@SchemaCustomizer(value = Describe.class, input = "self: One machine's latest report to this node.")
public class MachineProgress {
  /** The furthest a machine has got in a deployment. */
  public enum State {
    Running,
    Succeeded,
    Failed
  }

  @JsonPropertyDescription("The machine's MAC address (lower case, colons).")
  private String mac;

  @JsonPropertyDescription("The machine's SMBIOS UUID (lower case).")
  private String uuid;

  @Required
  @JsonPropertyDescription(
      "Running (at step), Succeeded (finished the whole task sequence) or Failed (stopped"
          + " at step).")
  private State state;

  @JsonPropertyDescription("Index of the step in spec.taskSequence.steps the report is about.")
  private Integer step;

  @Size(max = 1024)
  @JsonPropertyDescription("The agent's message (for a failure: what went wrong).")
  private String message;

  @Required
  @JsonPropertyDescription("When the daemon received the report (RFC 3339).")
  private String time;

  @JsonPropertyDescription(
      "While the step writes an image: the bytes written so far (the agent reports every few"
          + " seconds).")
  private Long imageBytes;

  @JsonPropertyDescription("While the step writes an image: the image's size in bytes.")
  private Long imageTotalBytes;

  @JsonPropertyDescription(
      "While the step writes an image: bytes per second since the agent's previous report.")
  private Long imageBytesPerSecond;

  public MachineProgress() {}

  public MachineProgress(
      String mac, String uuid, State state, Integer step, String message, String time) {
    this.mac = mac;
    this.uuid = uuid;
    this.state = state;
    this.step = step;
    this.message = message;
    this.time = time;
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

  /** The MAC address, or the SMBIOS UUID when no MAC was sent. */
  public String machine() {
    return mac != null ? mac : uuid;
  }

  public State getState() {
    return state;
  }

  public void setState(State state) {
    this.state = state;
  }

  public Integer getStep() {
    return step;
  }

  public void setStep(Integer step) {
    this.step = step;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  public Long getImageBytes() {
    return imageBytes;
  }

  public void setImageBytes(Long imageBytes) {
    this.imageBytes = imageBytes;
  }

  public Long getImageTotalBytes() {
    return imageTotalBytes;
  }

  public void setImageTotalBytes(Long imageTotalBytes) {
    this.imageTotalBytes = imageTotalBytes;
  }

  public Long getImageBytesPerSecond() {
    return imageBytesPerSecond;
  }

  public void setImageBytesPerSecond(Long imageBytesPerSecond) {
    this.imageBytesPerSecond = imageBytesPerSecond;
  }

  public String getTime() {
    return time;
  }

  public void setTime(String time) {
    this.time = time;
  }
}
