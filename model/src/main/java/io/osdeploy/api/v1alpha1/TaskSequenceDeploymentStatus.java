package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import java.util.ArrayList;
import java.util.List;

@SchemaCustomizer(value = ListIsMap.class, input = "reports:node")
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class TaskSequenceDeploymentStatus extends OsdeployStatus {
  @JsonPropertyDescription(
      "Machines by progress: targeted, pending (targeted, not heard from), running, succeeded,"
          + " failed.")
  private MachineCounts machines;

  @JsonPropertyDescription("The latest failures, newest first (at most five).")
  private List<MachineFailure> recentFailures = new ArrayList<>();

  @JsonPropertyDescription(
      "Progress as each distribution point node received it, written by the daemon on that node.")
  private List<ProgressReport> reports = new ArrayList<>();

  @JsonPropertyDescription(
      "Images that captureImage steps uploaded, one per machine and step name, newest first:"
          + " each with the fields an OSImage that publishes it needs (docs/images.md).")
  private List<ImageCapture> captures = new ArrayList<>();

  public List<ImageCapture> getCaptures() {
    return captures;
  }

  public void setCaptures(List<ImageCapture> captures) {
    this.captures = captures == null ? new ArrayList<>() : captures;
  }

  public MachineCounts getMachines() {
    return machines;
  }

  public void setMachines(MachineCounts machines) {
    this.machines = machines;
  }

  public List<MachineFailure> getRecentFailures() {
    return recentFailures;
  }

  public void setRecentFailures(List<MachineFailure> recentFailures) {
    this.recentFailures = recentFailures == null ? new ArrayList<>() : recentFailures;
  }

  public List<ProgressReport> getReports() {
    return reports;
  }

  public void setReports(List<ProgressReport> reports) {
    this.reports = reports == null ? new ArrayList<>() : reports;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class MachineCounts {
    @JsonPropertyDescription("Machines listed in spec.target.machines.")
    private Integer targeted;

    @JsonPropertyDescription("Targeted machines not heard from yet.")
    private Integer pending;

    @JsonPropertyDescription(
        "Machines whose latest report is Running (unknown computers included).")
    private Integer running;

    @JsonPropertyDescription(
        "Machines whose latest report is Succeeded: they finished the task sequence"
            + " (unknown computers included).")
    private Integer succeeded;

    @JsonPropertyDescription("Machines whose latest report is Failed (unknown computers included).")
    private Integer failed;

    public MachineCounts() {}

    public MachineCounts(int targeted, int pending, int running, int succeeded, int failed) {
      this.targeted = targeted;
      this.pending = pending;
      this.running = running;
      this.succeeded = succeeded;
      this.failed = failed;
    }

    public Integer getTargeted() {
      return targeted;
    }

    public void setTargeted(Integer targeted) {
      this.targeted = targeted;
    }

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

  /** A machine that failed: where, and what its agent said. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @SchemaCustomizer(
      value = Describe.class,
      input = "self: A machine that failed: where, and what its agent said.")
  public static class MachineFailure {
    @JsonPropertyDescription(
        "The machine's MAC address (lower case, colons), or its SMBIOS UUID when its"
            + " agent sent no MAC.")
    private String machine;

    @JsonPropertyDescription("Index of the failed step in spec.taskSequence.steps.")
    private Integer step;

    @JsonPropertyDescription("The failed step's name.")
    private String stepName;

    @JsonPropertyDescription("What went wrong, as the agent reported it.")
    private String message;

    @JsonPropertyDescription("When the failure was reported (RFC 3339).")
    private String time;

    public MachineFailure() {}

    public MachineFailure(
        String machine, Integer step, String stepName, String message, String time) {
      this.machine = machine;
      this.step = step;
      this.stepName = stepName;
      this.message = message;
      this.time = time;
    }

    public String getMachine() {
      return machine;
    }

    public void setMachine(String machine) {
      this.machine = machine;
    }

    public Integer getStep() {
      return step;
    }

    public void setStep(Integer step) {
      this.step = step;
    }

    public String getStepName() {
      return stepName;
    }

    public void setStepName(String stepName) {
      this.stepName = stepName;
    }

    public String getMessage() {
      return message;
    }

    public void setMessage(String message) {
      this.message = message;
    }

    public String getTime() {
      return time;
    }

    public void setTime(String time) {
      this.time = time;
    }
  }
}
