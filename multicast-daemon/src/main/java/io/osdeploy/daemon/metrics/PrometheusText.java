package io.osdeploy.daemon.metrics;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes metrics in the Prometheus text exposition format (version 0.0.4): a {@code # HELP} and
 * {@code # TYPE} line per metric, then its samples. Label values are escaped.
 */
public final class PrometheusText {
  private final StringBuilder out = new StringBuilder();

  public PrometheusText counter(String name, String help, long value) {
    return header(name, help, "counter").sample(name, Map.of(), value);
  }

  public PrometheusText gauge(String name, String help, long value) {
    return header(name, help, "gauge").sample(name, Map.of(), value);
  }

  /** One counter with a sample per label value, in label order. */
  public PrometheusText counter(
      String name, String help, String label, Map<String, Long> valuesByLabel) {
    header(name, help, "counter");
    new TreeMap<>(valuesByLabel).forEach((k, v) -> sample(name, Map.of(label, k), v));
    return this;
  }

  /** One gauge with a sample per label value, in label order. */
  public PrometheusText gauge(
      String name, String help, String label, Map<String, Long> valuesByLabel) {
    header(name, help, "gauge");
    new TreeMap<>(valuesByLabel).forEach((k, v) -> sample(name, Map.of(label, k), v));
    return this;
  }

  private PrometheusText header(String name, String help, String type) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    return this;
  }

  private PrometheusText sample(String name, Map<String, String> labels, long value) {
    out.append(name);
    if (!labels.isEmpty()) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<String, String> l : new TreeMap<>(labels).entrySet()) {
        if (!first) {
          out.append(',');
        }
        first = false;
        out.append(l.getKey()).append("=\"").append(escape(l.getValue())).append('"');
      }
      out.append('}');
    }
    out.append(' ').append(String.format(Locale.ROOT, "%d", value)).append('\n');
    return this;
  }

  private static String escape(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  @Override
  public String toString() {
    return out.toString();
  }
}
