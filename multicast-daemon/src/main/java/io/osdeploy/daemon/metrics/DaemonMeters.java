package io.osdeploy.daemon.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.daemon.auth.MachineTokens;
import io.osdeploy.daemon.progress.ProgressCollector;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The daemon's metrics through Micrometer, as {@code GET /metrics} shows them in the Prometheus
 * format: the node's counters ({@link DaemonMetrics}, read once per scrape), the JVM's, and
 * histograms of HTTP request times (by route and status class; a download's time is its transfer's)
 * and of multicast sessions' durations (by how they ended). Every label has a fixed set of values,
 * so nothing a client sends can grow the series.
 */
public final class DaemonMeters implements AutoCloseable {
  /** The routes requests are timed by; anything else is "other". */
  static final List<String> ROUTES =
      List.of(
          "/content",
          "/boot",
          "/v1/captures",
          "/v1/policy",
          "/v1/token",
          "/v1/boot.ipxe",
          "/v1/status",
          "/v1/multicast/join",
          "/v1/userstate",
          "/v1/secrets",
          "/metrics",
          "/healthz",
          "/readyz");

  private static final Duration[] REQUEST_BUCKETS = {
    Duration.ofMillis(5),
    Duration.ofMillis(25),
    Duration.ofMillis(100),
    Duration.ofMillis(500),
    Duration.ofSeconds(2),
    Duration.ofSeconds(10),
    Duration.ofMinutes(1),
    Duration.ofMinutes(5),
    Duration.ofMinutes(30)
  };

  private static final Duration[] SESSION_BUCKETS = {
    Duration.ofSeconds(10),
    Duration.ofSeconds(30),
    Duration.ofMinutes(1),
    Duration.ofMinutes(5),
    Duration.ofMinutes(15),
    Duration.ofMinutes(60)
  };

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Supplier<DaemonMetrics> source;
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private volatile DaemonMetrics current;

  public DaemonMeters(Supplier<DaemonMetrics> source) {
    this.source = source;
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    register();
  }

  /** The metrics in the Prometheus text format, the node's counters read now. */
  public String scrape() {
    current = source.get();
    return registry.scrape();
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Records one HTTP request to {@code path}, answered with {@code status}, that took so long. */
  public void requestServed(String path, int status, long nanos) {
    Timer.builder("osdeploy.http.request.duration")
        .description("HTTP(S) requests, from the request's head to the response's last byte.")
        .tag("route", route(path))
        .tag("status", (status / 100) + "xx")
        .serviceLevelObjectives(REQUEST_BUCKETS)
        .register(registry)
        .record(Duration.ofNanos(nanos));
  }

  /** Records a multicast session that ended for {@code reason} after so long. */
  public void sessionEnded(String reason, Duration took) {
    Timer.builder("osdeploy.multicast.session.duration")
        .description("Multicast sessions, from their start to their end, by how they ended.")
        .tag("reason", reason.toLowerCase(Locale.ROOT))
        .serviceLevelObjectives(SESSION_BUCKETS)
        .register(registry)
        .record(took);
  }

  static String route(String path) {
    if (path == null) {
      return "other";
    }
    for (String r : ROUTES) {
      if (path.equals(r) || path.startsWith(r + "/") || path.startsWith(r + "?")) {
        return r;
      }
    }
    return "other";
  }

  private DaemonMetrics now() {
    DaemonMetrics m = current;
    if (m == null) {
      m = source.get();
      current = m;
    }
    return m;
  }

  private void counter(String name, String help, ToDoubleFunction<DaemonMetrics> value) {
    FunctionCounter.builder(name, this, meters -> value.applyAsDouble(meters.now()))
        .description(help)
        .register(registry);
  }

  private void counter(
      String name,
      String help,
      String label,
      List<String> values,
      java.util.function.BiFunction<DaemonMetrics, String, Long> value) {
    for (String v : values) {
      FunctionCounter.builder(name, this, meters -> value.apply(meters.now(), v))
          .description(help)
          .tag(label, v)
          .register(registry);
    }
  }

  private void gauge(String name, String help, ToDoubleFunction<DaemonMetrics> value) {
    Gauge.builder(name, this, meters -> value.applyAsDouble(meters.now()))
        .description(help)
        .strongReference(true)
        .register(registry);
  }

  private static long of(Map<String, Long> map, String key) {
    return map == null ? 0 : map.getOrDefault(key, 0L);
  }

  private void register() {
    for (ImageState.Phase phase : ImageState.Phase.values()) {
      Gauge.builder(
              "osdeploy.images",
              this,
              meters -> meters.now().images().stream().filter(i -> i.getState() == phase).count())
          .description("Assigned OS images on this node, by state.")
          .tag("state", phase.name())
          .strongReference(true)
          .register(registry);
    }
    gauge(
        "osdeploy.multicast.sessions.active",
        "Multicast sessions waiting or sending.",
        m -> m.multicastOrZero().sessionsActive());
    counter(
        "osdeploy.multicast.sessions.started",
        "Multicast sessions started.",
        m -> m.multicastOrZero().sessionsStarted());
    counter(
        "osdeploy.multicast.sessions.completed",
        "Multicast sessions ended.",
        m -> m.multicastOrZero().sessionsCompleted());
    counter(
        "osdeploy.multicast.sessions.all.verified",
        "Multicast sessions in which every receiver verified the image.",
        m -> m.multicastOrZero().sessionsAllVerified());
    counter(
        "osdeploy.multicast.clients.joined",
        "Receivers given a ticket.",
        m -> m.multicastOrZero().clientsJoined());
    counter(
        "osdeploy.multicast.late.joins",
        "Receivers that joined a running session.",
        m -> m.multicastOrZero().lateJoins());
    counter(
        "osdeploy.multicast.joins.refused",
        "Joins refused.",
        m -> m.multicastOrZero().joinsRefused());
    counter(
        "osdeploy.multicast.bytes.sent",
        "Bytes multicast, repairs included.",
        m -> m.multicastOrZero().bytesSent());
    counter(
        "osdeploy.multicast.repair.bytes",
        "Bytes multicast again in repair passes.",
        m -> m.multicastOrZero().repairBytes());
    counter(
        "osdeploy.multicast.naks.received",
        "NAKs received from receivers.",
        m -> m.multicastOrZero().naksReceived());
    counter(
        "osdeploy.multicast.rejected.datagrams",
        "Datagrams the senders dropped (forged, replayed, malformed), by reason.",
        "reason",
        java.util.Arrays.stream(io.osdeploy.transfer.wire.DecodeException.Reason.values())
            .map(Enum::name)
            .toList(),
        (m, r) -> of(m.multicastOrZero().rejectedByReason(), r));

    gauge(
        "osdeploy.http.connections.open", "HTTP(S) connections open.", m -> m.httpOrZero().open());
    counter(
        "osdeploy.http.connections.refused",
        "HTTP(S) connections closed at once, by the limit they were over.",
        "limit",
        List.of("total", "per_address"),
        (m, l) ->
            l.equals("total") ? m.httpOrZero().refusedTotal() : m.httpOrZero().refusedPerAddress());
    counter(
        "osdeploy.http.connections.idle.closed",
        "HTTP(S) connections closed for neither reading nor writing for a minute.",
        m -> m.httpOrZero().idleClosed());
    counter(
        "osdeploy.http.connections.evicted",
        "Silent HTTP(S) connections closed to make room for a new one when every place was taken.",
        m -> m.httpOrZero().evicted());

    counter(
        "osdeploy.proxydhcp.offers",
        "Proxy offers sent to PXE clients.",
        m -> m.proxyDhcpOrZero().offers());
    counter(
        "osdeploy.proxydhcp.acks",
        "Boot-server ACKs sent (port 4011).",
        m -> m.proxyDhcpOrZero().acks());
    counter(
        "osdeploy.proxydhcp.refused",
        "PXE clients given no answer, by reason.",
        "reason",
        List.of("unknown_machine", "architecture"),
        (m, r) ->
            r.equals("unknown_machine")
                ? m.proxyDhcpOrZero().refusedUnknownMachine()
                : m.proxyDhcpOrZero().refusedArchitecture());
    counter(
        "osdeploy.proxydhcp.ignored",
        "DHCP packets not for us (not PXE).",
        m -> m.proxyDhcpOrZero().ignored());
    counter(
        "osdeploy.proxydhcp.malformed",
        "Malformed DHCP packets dropped.",
        m -> m.proxyDhcpOrZero().malformed());

    counter(
        "osdeploy.tftp.transfers.started",
        "TFTP transfers started.",
        m -> m.tftpOrZero().transfersStarted());
    counter(
        "osdeploy.tftp.transfers.completed",
        "TFTP transfers completed.",
        m -> m.tftpOrZero().transfersCompleted());
    counter(
        "osdeploy.tftp.transfers.failed",
        "TFTP transfers given up.",
        m -> m.tftpOrZero().transfersFailed());
    counter("osdeploy.tftp.bytes.sent", "Bytes sent by TFTP.", m -> m.tftpOrZero().bytesSent());
    counter(
        "osdeploy.tftp.retransmissions",
        "TFTP blocks sent again.",
        m -> m.tftpOrZero().retransmissions());
    counter(
        "osdeploy.tftp.refused",
        "TFTP requests refused, by reason.",
        "reason",
        List.of("not_found", "traversal", "write", "malformed", "busy"),
        (m, r) ->
            switch (r) {
              case "not_found" -> m.tftpOrZero().notFound();
              case "traversal" -> m.tftpOrZero().traversalRefused();
              case "write" -> m.tftpOrZero().writeRefused();
              case "malformed" -> m.tftpOrZero().malformed();
              default -> m.tftpOrZero().busyRefused();
            });

    counter(
        "osdeploy.progress.reports",
        "Agents' progress reports, by what became of them.",
        "outcome",
        java.util.Arrays.stream(ProgressCollector.Outcome.values())
            .map(o -> o.name().toLowerCase(Locale.ROOT))
            .toList(),
        (m, o) -> of(m.progressReports(), o));
    counter(
        "osdeploy.media.password.refused",
        "Boot and token requests refused for a wrong or malformed media or PXE password.",
        DaemonMetrics::mediaPasswordsRefused);
    counter(
        "osdeploy.password.checks.busy",
        "Boot requests answered 503 because too many password checks were waiting.",
        DaemonMetrics::passwordChecksBusy);
    counter(
        "osdeploy.http.unauthorized",
        "Requests refused for their machine token (401), or beyond what it allows (403, scope),"
            + " by reason.",
        "reason",
        MachineTokens.REASONS.stream().map(r -> r.replace('-', '_')).toList(),
        (m, r) -> of(m.tokensRefused(), r));
    counter(
        "osdeploy.machine.tokens.issued",
        "Machine tokens issued or renewed.",
        DaemonMetrics::tokensIssued);
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
