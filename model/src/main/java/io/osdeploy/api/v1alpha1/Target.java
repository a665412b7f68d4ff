package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** The collection a deployment targets: known machines, unknown computers, or both. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value =
        "(has(self.machines) && size(self.machines) > 0)"
            + " || (has(self.unknownComputers) && self.unknownComputers)",
    message = "target needs machines or unknownComputers: true")
public class Target {
  @Size(max = 10000)
  @JsonPropertyDescription("Known machines, identified by MAC address and/or SMBIOS UUID.")
  private List<Machine> machines;

  @JsonPropertyDescription("Also offer the deployment to machines that no deployment knows.")
  private Boolean unknownComputers;

  public List<Machine> getMachines() {
    return machines;
  }

  public void setMachines(List<Machine> machines) {
    this.machines = machines;
  }

  public Boolean getUnknownComputers() {
    return unknownComputers;
  }

  public void setUnknownComputers(Boolean unknownComputers) {
    this.unknownComputers = unknownComputers;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "has(self.mac) || has(self.smbiosUuid)",
      message = "a machine needs mac or smbiosUuid")
  @SchemaCustomizer(
      value = Describe.class,
      input = "self: A known machine: a name, and its MAC address and/or SMBIOS UUID.")
  public static class Machine {
    @Required
    @Size(min = 1, max = 63)
    @Pattern(Patterns.OBJECT_NAME)
    @JsonPropertyDescription(
        "Name of the machine, unique in the deployment; the default storeKey of"
            + " captureUserState and restoreUserState steps.")
    private String name;

    @Size(max = 17)
    @Pattern(Patterns.MAC)
    @JsonPropertyDescription("MAC address, e.g. 52:54:00:12:34:56.")
    private String mac;

    @Size(max = 36)
    @Pattern(Patterns.UUID)
    @JsonPropertyDescription("SMBIOS system UUID.")
    private String smbiosUuid;

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public String getMac() {
      return mac;
    }

    public void setMac(String mac) {
      this.mac = mac;
    }

    public String getSmbiosUuid() {
      return smbiosUuid;
    }

    public void setSmbiosUuid(String smbiosUuid) {
      this.smbiosUuid = smbiosUuid;
    }
  }
}
