package io.osdeploy.daemon.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.api.v1alpha1.ImageState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DaemonMetersTest {
  private static DaemonMetrics snapshot(long issued) {
    return new DaemonMetrics(
        List.of(new ImageState("win11", "a".repeat(64), ImageState.Phase.Verified)),
        null,
        null,
        null,
        Map.of("accepted", 4L),
        2,
        1,
        null,
        Map.of("missing", 3L, "unknown_key", 6L, "bad_signature", 7L),
        issued);
  }

  @Test
  void partsThatAreOffShowZerosSoEveryNodeHasTheSameSeries() {
    try (DaemonMeters meters = new DaemonMeters(() -> snapshot(5))) {
      String text = meters.scrape();
      assertTrue(text.contains("osdeploy_http_unauthorized_total{reason=\"missing\"} 3.0\n"), text);
      assertTrue(text.contains("osdeploy_http_unauthorized_total{reason=\"scope\"} 0.0\n"), text);
      // The reasons as MachineTokens counts them, with the label values security.md names.
      assertTrue(
          text.contains("osdeploy_http_unauthorized_total{reason=\"unknown_key\"} 6.0\n"), text);
      assertTrue(
          text.contains("osdeploy_http_unauthorized_total{reason=\"bad_signature\"} 7.0\n"), text);
      assertTrue(text.contains("osdeploy_machine_tokens_issued_total 5.0\n"), text);
      assertTrue(text.contains("osdeploy_images{state=\"Verified\"} 1.0\n"), text);
      assertTrue(text.contains("osdeploy_images{state=\"Failed\"} 0.0\n"), text);
      assertTrue(text.contains("osdeploy_multicast_sessions_active 0.0\n"), text);
      assertTrue(
          text.contains("osdeploy_proxydhcp_refused_total{reason=\"unknown_machine\"} 0.0\n"),
          text);
      assertTrue(text.contains("osdeploy_tftp_refused_total{reason=\"traversal\"} 0.0\n"), text);
      assertTrue(
          text.contains("osdeploy_progress_reports_total{outcome=\"accepted\"} 4.0\n"), text);
      assertTrue(text.contains("osdeploy_media_password_refused_total 2.0\n"), text);
      assertTrue(text.contains("osdeploy_http_connections_open 0.0\n"), text);
      assertTrue(
          text.contains("osdeploy_http_connections_refused_total{limit=\"per_address\"} 0.0\n"),
          text);
      // The JVM's own.
      assertTrue(text.contains("jvm_memory_used_bytes{"), text);
      assertTrue(text.contains("process_uptime_seconds "), text);
    }
  }

  @Test
  void countersAreReadOncePerScrape() {
    AtomicLong reads = new AtomicLong();
    try (DaemonMeters meters = new DaemonMeters(() -> snapshot(reads.incrementAndGet()))) {
      long before = reads.get();
      String text = meters.scrape();
      assertEquals(before + 1, reads.get(), "one snapshot per scrape");
      assertTrue(
          text.contains("osdeploy_machine_tokens_issued_total " + (before + 1) + ".0\n"), text);
    }
  }

  @Test
  void requestsAndSessionsAreTimedInBucketsWithLabelsFromFixedSets() {
    try (DaemonMeters meters = new DaemonMeters(() -> snapshot(0))) {
      meters.requestServed("/content/win11", 200, Duration.ofMillis(300).toNanos());
      meters.requestServed("/content/other", 206, Duration.ofSeconds(4).toNanos());
      meters.requestServed("/v1/secrets", 403, Duration.ofMillis(2).toNanos());
      // What a client makes up lands in "other", never a new series.
      for (int i = 0; i < 50; i++) {
        meters.requestServed("/made-up-" + i, 404, 1000);
      }
      meters.sessionEnded("ALL_VERIFIED", Duration.ofSeconds(45));
      String text = meters.scrape();
      String content =
          "osdeploy_http_request_duration_seconds_bucket{route=\"/content\",status=\"2xx\",";
      assertTrue(text.contains(content + "le=\"0.5\"} 1\n"), text);
      assertTrue(text.contains(content + "le=\"10.0\"} 2\n"), text);
      assertTrue(
          text.contains(
              "osdeploy_http_request_duration_seconds_count{route=\"/v1/secrets\",status=\"4xx\"} 1\n"),
          text);
      assertTrue(
          text.contains(
              "osdeploy_http_request_duration_seconds_count{route=\"other\",status=\"4xx\"} 50\n"),
          text);
      assertTrue(!text.contains("made-up"), text);
      assertTrue(
          text.contains(
              "osdeploy_multicast_session_duration_seconds_bucket{reason=\"all_verified\",le=\"60.0\"} 1\n"),
          text);
    }
  }
}
