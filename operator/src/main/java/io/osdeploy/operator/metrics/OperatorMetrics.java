package io.osdeploy.operator.metrics;

import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The operator's Prometheus metrics: JOSDK's per-controller reconcile metrics (started, succeeded,
 * failed, duration, in flight, queued) and the JVM's, rendered in the Prometheus text format for
 * {@code GET /metrics}.
 *
 * <p>Series are per kind and controller, never per resource: a fleet of thousands of deployments
 * must not become thousands of series.
 */
public final class OperatorMetrics {
  /** The content type of {@link #scrape()}: the Prometheus text format. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /** The prefix of JOSDK's timers of reconcile and cleanup executions. */
  static final String CONTROLLER_TIMERS = "operator.sdk.controllers.execution.";

  private final PrometheusMeterRegistry registry;
  private final Metrics controllers;

  private OperatorMetrics(PrometheusMeterRegistry registry) {
    this.registry = registry;
    this.controllers = MicrometerMetrics.withoutPerResourceMetrics(registry);
  }

  /** A registry of its own, with the JVM's memory, threads, classes, CPU and uptime bound. */
  public static OperatorMetrics create() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // Reconcile times as histograms (per controller: about 70 buckets from 1 ms to 30 s), so that
    // Prometheus' histogram_quantile gives their p50 and p99.
    registry
        .config()
        .meterFilter(
            new MeterFilter() {
              @Override
              public DistributionStatisticConfig configure(
                  Meter.Id id, DistributionStatisticConfig config) {
                if (id.getType() != Meter.Type.TIMER
                    || !id.getName().startsWith(CONTROLLER_TIMERS)) {
                  return config;
                }
                return DistributionStatisticConfig.builder()
                    .percentilesHistogram(true)
                    .build()
                    .merge(config);
              }
            });
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    return new OperatorMetrics(registry);
  }

  /** What JOSDK reports reconciles to ({@code ConfigurationServiceOverrider.withMetrics}). */
  public Metrics controllers() {
    return controllers;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Every series, in the Prometheus text format. */
  public String scrape() {
    return registry.scrape();
  }
}
