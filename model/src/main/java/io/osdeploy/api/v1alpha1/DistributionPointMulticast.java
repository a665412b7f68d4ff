package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** A distribution point's multicast settings. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value =
        "!(has(self.enabled) && self.enabled) || (has(self.addressRange) && has(self.portRange))",
    message = "multicast.enabled requires addressRange and portRange")
@ValidationRule(
    value =
        "!has(self.sessionStart) || !has(self.sessionStart.minClients) || !has(self.maxClients)"
            + " || self.sessionStart.minClients <= self.maxClients",
    message = "sessionStart.minClients must not exceed maxClients",
    fieldPath = ".sessionStart.minClients")
public class DistributionPointMulticast {
  @JsonPropertyDescription("Send images by multicast from this distribution point.")
  private Boolean enabled;

  @JsonPropertyDescription("IPv4 multicast groups sessions may use, inclusive.")
  private AddressRange addressRange;

  @JsonPropertyDescription("UDP ports sessions may use, inclusive.")
  private PortRange portRange;

  @Min(1)
  @Max(10000)
  @JsonPropertyDescription("Most machines in one session.")
  private Integer maxClients;

  @Min(1)
  @Max(400000)
  @JsonPropertyDescription("Cap on a session's sending rate, in Mbit/s.")
  private Integer maxRateMbps;

  @JsonPropertyDescription(
      "When a session starts: once minClients joined or maxWaitSeconds passed, whichever first.")
  private SessionStart sessionStart;

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }

  public AddressRange getAddressRange() {
    return addressRange;
  }

  public void setAddressRange(AddressRange addressRange) {
    this.addressRange = addressRange;
  }

  public PortRange getPortRange() {
    return portRange;
  }

  public void setPortRange(PortRange portRange) {
    this.portRange = portRange;
  }

  public Integer getMaxClients() {
    return maxClients;
  }

  public void setMaxClients(Integer maxClients) {
    this.maxClients = maxClients;
  }

  public Integer getMaxRateMbps() {
    return maxRateMbps;
  }

  public void setMaxRateMbps(Integer maxRateMbps) {
    this.maxRateMbps = maxRateMbps;
  }

  public SessionStart getSessionStart() {
    return sessionStart;
  }

  public void setSessionStart(SessionStart sessionStart) {
    this.sessionStart = sessionStart;
  }

  /** Inclusive range of IPv4 multicast addresses. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = AddressRange.START_AS_NUMBER + " <= " + AddressRange.END_AS_NUMBER,
      message = "addressRange.start must not be above addressRange.end",
      fieldPath = ".start")
  public static class AddressRange {
    static final String START_AS_NUMBER =
        "(int(self.start.split('.')[0]) * 16777216 + int(self.start.split('.')[1]) * 65536"
            + " + int(self.start.split('.')[2]) * 256 + int(self.start.split('.')[3]))";
    static final String END_AS_NUMBER =
        "(int(self.end.split('.')[0]) * 16777216 + int(self.end.split('.')[1]) * 65536"
            + " + int(self.end.split('.')[2]) * 256 + int(self.end.split('.')[3]))";

    @Required
    @Size(max = 15)
    @Pattern(Patterns.MULTICAST_IPV4)
    @JsonPropertyDescription("First multicast group, e.g. 239.1.1.1.")
    private String start;

    @Required
    @Size(max = 15)
    @Pattern(Patterns.MULTICAST_IPV4)
    @JsonPropertyDescription("Last multicast group, e.g. 239.1.1.254.")
    private String end;

    public String getStart() {
      return start;
    }

    public void setStart(String start) {
      this.start = start;
    }

    public String getEnd() {
      return end;
    }

    public void setEnd(String end) {
      this.end = end;
    }
  }

  /** Inclusive range of UDP ports. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "self.start <= self.end",
      message = "portRange.start must not be above portRange.end",
      fieldPath = ".start")
  public static class PortRange {
    @Required
    @Min(1024)
    @Max(65535)
    @JsonPropertyDescription("First UDP port, e.g. 40000.")
    private Integer start;

    @Required
    @Min(1024)
    @Max(65535)
    @JsonPropertyDescription("Last UDP port, e.g. 40999.")
    private Integer end;

    public Integer getStart() {
      return start;
    }

    public void setStart(Integer start) {
      this.start = start;
    }

    public Integer getEnd() {
      return end;
    }

    public void setEnd(Integer end) {
      this.end = end;
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class SessionStart {
    @Min(1)
    @Max(10000)
    @JsonPropertyDescription("Start as soon as this many machines have joined.")
    private Integer minClients;

    @Min(0)
    @Max(86400)
    @JsonPropertyDescription(
        "Start at the latest this many seconds after the first machine joined.")
    private Integer maxWaitSeconds;

    public Integer getMinClients() {
      return minClients;
    }

    public void setMinClients(Integer minClients) {
      this.minClients = minClients;
    }

    public Integer getMaxWaitSeconds() {
      return maxWaitSeconds;
    }

    public void setMaxWaitSeconds(Integer maxWaitSeconds) {
      this.maxWaitSeconds = maxWaitSeconds;
    }
  }
}
