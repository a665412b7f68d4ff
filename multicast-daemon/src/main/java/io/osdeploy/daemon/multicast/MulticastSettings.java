package io.osdeploy.daemon.multicast;

import io.osdeploy.api.v1alpha1.DistributionPointMulticast;
import io.osdeploy.transfer.wire.WireFormat;
import java.time.Duration;

/**
 * A DP's multicast settings with defaults applied and ranges parsed; built from the
 * DistributionPoint's {@code spec.multicast}. Errors name the field.
 *
 * @param firstGroup first group of {@code addressRange} as an unsigned 32-bit number
 * @param lastGroup last group, inclusive
 */
public record MulticastSettings(
    long firstGroup,
    long lastGroup,
    int firstPort,
    int lastPort,
    int maxClients,
    int maxRateMbps,
    int minClients,
    Duration maxWait) {
  public static final int DEFAULT_MAX_CLIENTS = 100;
  public static final int DEFAULT_MAX_RATE_MBPS = 100;
  public static final int DEFAULT_MIN_CLIENTS = 1;
  public static final int DEFAULT_MAX_WAIT_SECONDS = 60;

  public MulticastSettings {
    if (firstGroup < ipv4("224.0.0.0") || lastGroup > ipv4("239.255.255.255")) {
      throw new IllegalArgumentException("multicast.addressRange must lie within 224.0.0.0/4");
    }
    if (firstGroup > lastGroup) {
      throw new IllegalArgumentException(
          "multicast.addressRange.start must not be above addressRange.end");
    }
    if (firstPort < 1024 || lastPort > 65535 || firstPort > lastPort) {
      throw new IllegalArgumentException(
          "multicast.portRange must be within 1024..65535 with start <= end");
    }
    if (maxClients < 1 || maxClients > WireFormat.MAX_RECEIVERS) {
      throw new IllegalArgumentException(
          "multicast.maxClients must be 1.." + WireFormat.MAX_RECEIVERS + " (protocol limit)");
    }
    if (maxRateMbps < 1) {
      throw new IllegalArgumentException("multicast.maxRateMbps must be positive");
    }
    if (minClients < 1 || minClients > maxClients) {
      throw new IllegalArgumentException(
          "multicast.sessionStart.minClients must be 1..maxClients (" + maxClients + ")");
    }
    if (maxWait.isNegative()) {
      throw new IllegalArgumentException("multicast.sessionStart.maxWaitSeconds must be >= 0");
    }
  }

  /** The DP's settings; unset fields take the documented defaults. */
  public static MulticastSettings from(DistributionPointMulticast m) {
    if (m == null || m.getAddressRange() == null) {
      throw new IllegalArgumentException("multicast.addressRange is required");
    }
    if (m.getPortRange() == null
        || m.getPortRange().getStart() == null
        || m.getPortRange().getEnd() == null) {
      throw new IllegalArgumentException("multicast.portRange.start and .end are required");
    }
    DistributionPointMulticast.SessionStart start = m.getSessionStart();
    int maxClients = orDefault(m.getMaxClients(), DEFAULT_MAX_CLIENTS);
    // The protocol carries at most 1024 receivers per session; a larger DP cap means more sessions.
    maxClients = Math.min(maxClients, WireFormat.MAX_RECEIVERS);
    return new MulticastSettings(
        parseGroup(m.getAddressRange().getStart(), "multicast.addressRange.start"),
        parseGroup(m.getAddressRange().getEnd(), "multicast.addressRange.end"),
        m.getPortRange().getStart(),
        m.getPortRange().getEnd(),
        maxClients,
        orDefault(m.getMaxRateMbps(), DEFAULT_MAX_RATE_MBPS),
        orDefault(start == null ? null : start.getMinClients(), DEFAULT_MIN_CLIENTS),
        Duration.ofSeconds(
            orDefault(start == null ? null : start.getMaxWaitSeconds(), DEFAULT_MAX_WAIT_SECONDS)));
  }

  private static int orDefault(Integer value, int fallback) {
    return value == null ? fallback : value;
  }

  static long parseGroup(String dotted, String field) {
    if (dotted == null) {
      throw new IllegalArgumentException(field + " is required");
    }
    String[] parts = dotted.split("\\.", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException(field + " '" + dotted + "' is not an IPv4 address");
    }
    long value = 0;
    for (String p : parts) {
      int octet;
      try {
        octet = Integer.parseInt(p);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(field + " '" + dotted + "' is not an IPv4 address");
      }
      if (octet < 0 || octet > 255 || p.isEmpty() || (p.length() > 1 && p.startsWith("0"))) {
        throw new IllegalArgumentException(field + " '" + dotted + "' is not an IPv4 address");
      }
      value = value << 8 | octet;
    }
    if ((value >>> 28) != 0xE) {
      throw new IllegalArgumentException(
          field + " '" + dotted + "' is not a multicast address (224.0.0.0/4)");
    }
    return value;
  }

  static long ipv4(String dotted) {
    long value = 0;
    for (String p : dotted.split("\\.")) {
      value = value << 8 | Integer.parseInt(p);
    }
    return value;
  }

  static String dotted(long value) {
    return (value >>> 24 & 0xFF)
        + "."
        + (value >>> 16 & 0xFF)
        + "."
        + (value >>> 8 & 0xFF)
        + "."
        + (value & 0xFF);
  }
}
