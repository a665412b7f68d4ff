package io.osdeploy.daemon.metrics;

import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.daemon.http.ConnectionLimits;
import io.osdeploy.daemon.multicast.MulticastMetrics;
import io.osdeploy.daemon.pxe.ProxyDhcpMetrics;
import io.osdeploy.daemon.pxe.TftpMetrics;
import java.util.List;
import java.util.Map;

/**
 * The node's counters as {@link DaemonMeters} reads them at each scrape: its content, multicast
 * sessions, PXE answers and TFTP transfers, agents' progress reports and boot media password
 * checks. A part that is not running (multicast or PXE off) counts zeros, so dashboards and alerts
 * see the same series everywhere.
 */
public record DaemonMetrics(
    List<ImageState> images,
    MulticastMetrics multicast,
    ProxyDhcpMetrics proxyDhcp,
    TftpMetrics tftp,
    Map<String, Long> progressReports,
    long mediaPasswordsRefused,
    long passwordChecksBusy,
    ConnectionLimits.Counts http,
    Map<String, Long> tokensRefused,
    long tokensIssued) {

  MulticastMetrics multicastOrZero() {
    return multicast != null
        ? multicast
        : new MulticastMetrics(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, Map.of());
  }

  ConnectionLimits.Counts httpOrZero() {
    return http != null ? http : new ConnectionLimits.Counts(0, 0, 0, 0, 0);
  }

  ProxyDhcpMetrics proxyDhcpOrZero() {
    return proxyDhcp != null ? proxyDhcp : new ProxyDhcpMetrics(0, 0, 0, 0, 0, 0, 0);
  }

  TftpMetrics tftpOrZero() {
    return tftp != null ? tftp : new TftpMetrics(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  }
}
