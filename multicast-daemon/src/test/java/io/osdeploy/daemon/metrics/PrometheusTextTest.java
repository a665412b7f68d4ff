package io.osdeploy.daemon.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.api.v1alpha1.ImageState;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {
  @Test
  void writesHelpTypeAndSamplesWithEscapedSortedLabels() {
    String text =
        new PrometheusText()
            .counter("x_total", "Things.", 3)
            .counter("y_total", "By reason.", "reason", Map.of("b\"q", 2L, "a\\n", 1L))
            .toString();
    assertEquals(
        String.join(
            "\n",
            "# HELP x_total Things.",
            "# TYPE x_total counter",
            "x_total 3",
            "# HELP y_total By reason.",
            "# TYPE y_total counter",
            "y_total{reason=\"a\\\\n\"} 1",
            "y_total{reason=\"b\\\"q\"} 2",
            ""),
        text);
  }

  @Test
  void partsThatAreOffShowZerosSoEveryNodeHasTheSameSeries() {
    String text =
        new DaemonMetrics(
                List.of(new ImageState("win11", "a".repeat(64), ImageState.Phase.Verified)),
                null,
                null,
                null,
                Map.of("accepted", 4L),
                2,
                1,
                null,
                Map.of("missing", 3L),
                5)
            .render();
    assertTrue(text.contains("osdeploy_http_unauthorized_total{reason=\"missing\"} 3\n"), text);
    assertTrue(text.contains("osdeploy_machine_tokens_issued_total 5\n"), text);
    assertTrue(text.contains("osdeploy_images{state=\"Verified\"} 1\n"), text);
    assertTrue(text.contains("osdeploy_images{state=\"Failed\"} 0\n"), text);
    assertTrue(text.contains("osdeploy_multicast_sessions_active 0\n"), text);
    assertTrue(text.contains("osdeploy_proxydhcp_refused_total{reason=\"unknown_machine\"} 0\n"));
    assertTrue(text.contains("osdeploy_tftp_refused_total{reason=\"traversal\"} 0\n"), text);
    assertTrue(text.contains("osdeploy_progress_reports_total{outcome=\"accepted\"} 4\n"), text);
    assertTrue(text.contains("osdeploy_media_password_refused_total 2\n"), text);
    assertTrue(text.contains("osdeploy_http_connections_open 0\n"), text);
    assertTrue(
        text.contains("osdeploy_http_connections_refused_total{limit=\"per_address\"} 0\n"), text);
  }
}
