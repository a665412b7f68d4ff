package io.osdeploy.operator.bench;

import io.osdeploy.operator.testing.PrometheusText;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The operator process seen from outside: its memory from {@code /proc/<pid>/status} (RSS, and the
 * kernel's high-water mark of it) and from the JVM's metrics at {@code /metrics}, and JOSDK's
 * reconcile timings there; sampled every few seconds so that peaks are not missed (Micrometer's
 * {@code _max} only covers its last two minutes).
 */
final class OperatorProbe implements AutoCloseable {
  private final long pid;
  private final URI metrics;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
  private volatile long peakHeapBytes;
  private final Map<String, Double> peakReconcileSeconds = new ConcurrentHashMap<>();

  OperatorProbe(long pid, int port) {
    this.pid = pid;
    this.metrics = URI.create("http://127.0.0.1:" + port + "/metrics");
  }

  void startSampling(Duration every) {
    sampler.scheduleWithFixedDelay(
        () -> {
          try {
            PrometheusText scrape = scrape();
            peakHeapBytes = Math.max(peakHeapBytes, heapUsedBytes(scrape));
            for (PrometheusText.Sample s :
                scrape.find("operator_sdk_controllers_execution_reconcile_seconds_max", Map.of())) {
              peakReconcileSeconds.merge(
                  s.labels().getOrDefault("controller", "?"), s.value(), Math::max);
            }
          } catch (IOException | RuntimeException e) {
            // The next sample will do; a missed one only lowers the chance to see a peak.
          }
        },
        0,
        every.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  PrometheusText scrape() throws IOException {
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(20)).build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IOException("GET " + metrics + ": " + response.statusCode());
      }
      return new PrometheusText(response.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  static long heapUsedBytes(PrometheusText scrape) {
    return (long) scrape.sum("jvm_memory_used_bytes", Map.of("area", "heap"));
  }

  static long heapMaxBytes(PrometheusText scrape) {
    return (long) scrape.sum("jvm_memory_max_bytes", Map.of("area", "heap"));
  }

  /** A field of {@code /proc/<pid>/status} in KiB, e.g. VmRSS or VmHWM. */
  long procKib(String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
      }
    }
    throw new IOException(field + " not in /proc/" + pid + "/status");
  }

  /**
   * CPU time the process has used, user and system, from {@code /proc/<pid>/stat} (in clock ticks
   * of 1/100 s, as Linux counts them on x86-64).
   */
  double cpuSeconds() throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    // Fields after the command (in parentheses, which may hold spaces): utime is the 14th.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
  }

  /**
   * Asks the JVM for a full collection ({@code jcmd <pid> GC.run}), so that the heap in use after
   * it is what the operator holds on to. Returns whether jcmd ran.
   */
  boolean fullGc() throws InterruptedException {
    try {
      Process p =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                  Long.toString(pid),
                  "GC.run")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    }
  }

  long peakHeapBytes() {
    return peakHeapBytes;
  }

  /** The longest reconcile per controller seen in any sample. */
  Map<String, Double> peakReconcileSeconds() {
    return Map.copyOf(peakReconcileSeconds);
  }

  @Override
  public void close() {
    sampler.shutdownNow();
  }
}
