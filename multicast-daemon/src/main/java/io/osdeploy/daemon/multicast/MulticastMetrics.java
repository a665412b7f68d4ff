package io.osdeploy.daemon.multicast;

import io.osdeploy.transfer.wire.DecodeException;
import java.util.Map;

/**
 * A snapshot of the DP's multicast counters since the daemon started; totals include sessions still
 * running. Bytes are on the wire (datagrams plus IPv4 and UDP headers).
 *
 * @param rejectedByReason feedback datagrams the senders dropped, by {@link DecodeException.Reason}
 *     name (forged, replayed, malformed)
 */
public record MulticastMetrics(
    long sessionsStarted,
    long sessionsCompleted,
    long sessionsAllVerified,
    int sessionsActive,
    long clientsJoined,
    long lateJoins,
    long joinsRefused,
    long bytesSent,
    long repairBytes,
    long naksReceived,
    Map<String, Long> rejectedByReason) {
  public MulticastMetrics {
    rejectedByReason = Map.copyOf(rejectedByReason);
  }
}
