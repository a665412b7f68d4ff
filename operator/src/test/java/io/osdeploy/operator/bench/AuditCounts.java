package io.osdeploy.operator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The requests one client made in a time window, counted from the API server's audit log (one JSON
 * event per line, level Metadata): each request once, at its {@code RequestReceived} stage, told
 * apart by its user agent. Reads are get, list and watch; writes are every other verb. Conflicts
 * are the requests the API server answered 409 Conflict, and a request's time is the API server's,
 * from receiving it to completing the response (both at its {@code ResponseComplete} stage; watches
 * have none).
 */
record AuditCounts(
    long reads,
    long writes,
    long conflicts,
    Map<String, Long> byRequest,
    Map<String, List<Double>> millisByRequest,
    List<String> writeEvidence) {
  static final Set<String> READS = Set.of("get", "list", "watch");
  private static final int EVIDENCE_LINES = 20;
  private static final ObjectMapper JSON = new ObjectMapper();

  static AuditCounts of(Path auditLog, String userAgent, Instant from, Instant to)
      throws IOException {
    long reads = 0;
    long writes = 0;
    long conflicts = 0;
    Map<String, Long> byRequest = new TreeMap<>();
    Map<String, List<Double>> millis = new TreeMap<>();
    List<String> evidence = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(auditLog)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (!line.contains(userAgent)) {
          continue;
        }
        JsonNode event = JSON.readTree(line);
        if (!userAgent.equals(event.path("userAgent").asText())) {
          continue;
        }
        Instant at = Instant.parse(event.path("requestReceivedTimestamp").asText());
        if (at.isBefore(from) || !at.isBefore(to)) {
          continue;
        }
        String stage = event.path("stage").asText();
        String verb = event.path("verb").asText();
        JsonNode ref = event.path("objectRef");
        String resource =
            ref.path("resource").asText(event.path("requestURI").asText())
                + (ref.path("subresource").asText().isEmpty()
                    ? ""
                    : "/" + ref.path("subresource").asText());
        if ("ResponseComplete".equals(stage)) {
          if (event.path("responseStatus").path("code").asInt() == 409) {
            conflicts++;
          }
          if (!"watch".equals(verb)) {
            Instant done = Instant.parse(event.path("stageTimestamp").asText());
            millis
                .computeIfAbsent(verb + " " + resource, k -> new ArrayList<>())
                .add(Duration.between(at, done).toNanos() / 1e6);
          }
        }
        if (!"RequestReceived".equals(stage)) {
          continue;
        }
        byRequest.merge(verb + " " + resource, 1L, Long::sum);
        if (READS.contains(verb)) {
          reads++;
        } else {
          writes++;
          if (evidence.size() < EVIDENCE_LINES) {
            evidence.add(line);
          }
        }
      }
    }
    millis.values().forEach(Collections::sort);
    return new AuditCounts(reads, writes, conflicts, byRequest, millis, evidence);
  }

  /** Writes to {@code resource} (e.g. {@code leases}), any verb but the reads. */
  long writesTo(String resource) {
    return byRequest.entrySet().stream()
        .filter(e -> !READS.contains(e.getKey().substring(0, e.getKey().indexOf(' '))))
        .filter(e -> e.getKey().substring(e.getKey().indexOf(' ') + 1).equals(resource))
        .mapToLong(Map.Entry::getValue)
        .sum();
  }

  /** Reads of {@code resource}. */
  long readsOf(String resource) {
    return byRequest.entrySet().stream()
        .filter(e -> READS.contains(e.getKey().substring(0, e.getKey().indexOf(' '))))
        .filter(e -> e.getKey().substring(e.getKey().indexOf(' ') + 1).equals(resource))
        .mapToLong(Map.Entry::getValue)
        .sum();
  }
}
