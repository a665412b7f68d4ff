package io.osdeploy.daemon.metrics;

import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.daemon.http.ConnectionLimits;
import io.osdeploy.daemon.multicast.MulticastMetrics;
import io.osdeploy.daemon.pxe.ProxyDhcpMetrics;
import io.osdeploy.daemon.pxe.TftpMetrics;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code GET /metrics} shows: the node's content, multicast sessions, PXE answers and TFTP
 * transfers, agents' progress reports and boot media password checks. A part that is not running
 * (multicast or PXE off) shows zeros, so dashboards and alerts see the same series everywhere.
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

  public String render() {
    PrometheusText t = new PrometheusText();
    Map<String, Long> byState = new LinkedHashMap<>();
    Map<ImageState.Phase, Long> counts = new EnumMap<>(ImageState.Phase.class);
    for (ImageState.Phase p : ImageState.Phase.values()) {
      counts.put(p, 0L);
    }
    images.forEach(i -> counts.merge(i.getState(), 1L, Long::sum));
    counts.forEach((p, n) -> byState.put(p.name(), n));
    t.gauge("osdeploy_images", "Assigned OS images on this node, by state.", "state", byState);

    MulticastMetrics m =
        multicast != null
            ? multicast
            : new MulticastMetrics(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, Map.of());
    t.gauge(
        "osdeploy_multicast_sessions_active",
        "Multicast sessions waiting or sending.",
        m.sessionsActive());
    t.counter(
        "osdeploy_multicast_sessions_started_total",
        "Multicast sessions started.",
        m.sessionsStarted());
    t.counter(
        "osdeploy_multicast_sessions_completed_total",
        "Multicast sessions ended.",
        m.sessionsCompleted());
    t.counter(
        "osdeploy_multicast_sessions_all_verified_total",
        "Multicast sessions in which every receiver verified the image.",
        m.sessionsAllVerified());
    t.counter(
        "osdeploy_multicast_clients_joined_total", "Receivers given a ticket.", m.clientsJoined());
    t.counter(
        "osdeploy_multicast_late_joins_total",
        "Receivers that joined a running session.",
        m.lateJoins());
    t.counter("osdeploy_multicast_joins_refused_total", "Joins refused.", m.joinsRefused());
    t.counter(
        "osdeploy_multicast_bytes_sent_total", "Bytes multicast, repairs included.", m.bytesSent());
    t.counter(
        "osdeploy_multicast_repair_bytes_total",
        "Bytes multicast again in repair passes.",
        m.repairBytes());
    t.counter(
        "osdeploy_multicast_naks_received_total",
        "NAKs received from receivers.",
        m.naksReceived());
    t.counter(
        "osdeploy_multicast_rejected_datagrams_total",
        "Datagrams the senders dropped (forged, replayed, malformed), by reason.",
        "reason",
        m.rejectedByReason());

    ConnectionLimits.Counts h = http != null ? http : new ConnectionLimits.Counts(0, 0, 0, 0, 0);
    t.gauge("osdeploy_http_connections_open", "HTTP(S) connections open.", h.open());
    t.counter(
        "osdeploy_http_connections_refused_total",
        "HTTP(S) connections closed at once, by the limit they were over.",
        "limit",
        Map.of("total", h.refusedTotal(), "per_address", h.refusedPerAddress()));
    t.counter(
        "osdeploy_http_connections_idle_closed_total",
        "HTTP(S) connections closed for neither reading nor writing for a minute.",
        h.idleClosed());
    t.counter(
        "osdeploy_http_connections_evicted_total",
        "Silent HTTP(S) connections closed to make room for a new one when every place was taken.",
        h.evicted());

    ProxyDhcpMetrics d = proxyDhcp != null ? proxyDhcp : new ProxyDhcpMetrics(0, 0, 0, 0, 0, 0, 0);
    t.counter("osdeploy_proxydhcp_offers_total", "Proxy offers sent to PXE clients.", d.offers());
    t.counter("osdeploy_proxydhcp_acks_total", "Boot-server ACKs sent (port 4011).", d.acks());
    t.counter(
        "osdeploy_proxydhcp_refused_total",
        "PXE clients given no answer, by reason.",
        "reason",
        Map.of(
            "unknown_machine", d.refusedUnknownMachine(), "architecture", d.refusedArchitecture()));
    t.counter(
        "osdeploy_proxydhcp_ignored_total", "DHCP packets not for us (not PXE).", d.ignored());
    t.counter(
        "osdeploy_proxydhcp_malformed_total", "Malformed DHCP packets dropped.", d.malformed());

    TftpMetrics f = tftp != null ? tftp : new TftpMetrics(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    t.counter(
        "osdeploy_tftp_transfers_started_total", "TFTP transfers started.", f.transfersStarted());
    t.counter(
        "osdeploy_tftp_transfers_completed_total",
        "TFTP transfers completed.",
        f.transfersCompleted());
    t.counter(
        "osdeploy_tftp_transfers_failed_total", "TFTP transfers given up.", f.transfersFailed());
    t.counter("osdeploy_tftp_bytes_sent_total", "Bytes sent by TFTP.", f.bytesSent());
    t.counter(
        "osdeploy_tftp_retransmissions_total", "TFTP blocks sent again.", f.retransmissions());
    t.counter(
        "osdeploy_tftp_refused_total",
        "TFTP requests refused, by reason.",
        "reason",
        Map.of(
            "not_found", f.notFound(),
            "traversal", f.traversalRefused(),
            "write", f.writeRefused(),
            "malformed", f.malformed(),
            "busy", f.busyRefused()));

    t.counter(
        "osdeploy_progress_reports_total",
        "Agents' progress reports, by what became of them.",
        "outcome",
        progressReports);
    t.counter(
        "osdeploy_media_password_refused_total",
        "Boot and token requests refused for a wrong or malformed media or PXE password.",
        mediaPasswordsRefused);
    t.counter(
        "osdeploy_password_checks_busy_total",
        "Boot requests answered 503 because too many password checks were waiting.",
        passwordChecksBusy);
    t.counter(
        "osdeploy_http_unauthorized_total",
        "Requests refused for their machine token (401), or beyond what it allows (403, scope),"
            + " by reason.",
        "reason",
        tokensRefused);
    t.counter(
        "osdeploy_machine_tokens_issued_total", "Machine tokens issued or renewed.", tokensIssued);
    return t.toString();
  }
}
