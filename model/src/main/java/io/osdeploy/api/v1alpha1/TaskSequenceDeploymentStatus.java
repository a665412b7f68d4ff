package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class TaskSequenceDeploymentStatus extends OsdeployStatus {
  @JsonPropertyDescription("Machines by progress: pending, running, succeeded, failed.")
  private MachineCounts machines;

  public MachineCounts getMachines() {
    return machines;
  }

  public void setMachines(MachineCounts machines) {
    this.machines = machines;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class MachineCounts {
    private Integer pending;
    private Integer running;
    private Integer succeeded;
    private Integer failed;

    public Integer getPending() {
      return pending;
    }

    public void setPending(Integer pending) {
      this.pending = pending;
    }

    public Integer getRunning() {
      return running;
    }

    public void setRunning(Integer running) {
      this.running = running;
    }

    public Integer getSucceeded() {
      return succeeded;
    }

    public void setSucceeded(Integer succeeded) {
      this.succeeded = succeeded;
    }

    public Integer getFailed() {
      return failed;
    }

    public void setFailed(Integer failed) {
      this.failed = failed;
    }
  }
}
