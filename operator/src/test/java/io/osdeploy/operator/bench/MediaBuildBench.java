package io.osdeploy.operator.bench;

import io.osdeploy.operator.media.Artifact;
import io.osdeploy.operator.media.BootFiles;
import io.osdeploy.operator.media.MediaBuilder;
import io.osdeploy.operator.media.MediaInputs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * How long building one boot media takes, and how big it is: builds media for distinct inputs (one
 * boot server each), then the first inputs again to check the bytes are the same. Prints a table
 * and writes it to the file named by the first argument.
 */
public final class MediaBuildBench {
  private MediaBuildBench() {}

  public static void main(String[] args) throws Exception {
    int builds = args.length > 1 ? Integer.parseInt(args[1]) : 50;
    Path out = Files.createTempDirectory("osdeploy-media-bench-");
    MediaBuilder builder = new MediaBuilder(BootFiles.debian(), out);
    // Warm-up: the first build pays for class loading and the page cache.
    builder.build(inputs(-1));
    List<Double> millis = new ArrayList<>();
    long size = 0;
    String firstSha = null;
    for (int i = 0; i < builds; i++) {
      long start = System.nanoTime();
      Artifact a = builder.build(inputs(i));
      millis.add((System.nanoTime() - start) / 1e6);
      size = a.sizeBytes();
      if (i == 0) {
        firstSha = a.sha256();
      }
    }
    boolean reproducible = builder.build(inputs(0)).sha256().equals(firstSha);
    Collections.sort(millis);
    double mean = millis.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    String table =
        String.join(
            "\n",
            "| Builds | Mean (ms) | p50 (ms) | p99 (ms) | Max (ms) | Size (bytes) | Same inputs, same bytes |",
            "|---|---|---|---|---|---|---|",
            String.format(
                "| %d | %.1f | %.1f | %.1f | %.1f | %d | %s |",
                builds,
                mean,
                pct(millis, 50),
                pct(millis, 99),
                millis.get(millis.size() - 1),
                size,
                reproducible ? "yes" : "NO"));
    System.out.println(table);
    String doc =
        "# Benchmark: building boot media\n\n"
            + "`bench/media-build.sh` builds "
            + builds
            + " media with distinct inputs (after one warm-up build) with the operator's builder"
            + " (xorriso, ISOLINUX, Debian's iPXE), then the first inputs again.\n"
            + "Measured "
            + Instant.now()
            + " on this machine ("
            + Runtime.getRuntime().availableProcessors()
            + " cores).\n\n"
            + table
            + "\n";
    if (args.length > 0) {
      Files.writeString(Path.of(args[0]), doc, StandardCharsets.UTF_8);
    }
    deleteTree(out);
  }

  private static MediaInputs inputs(int i) {
    return MediaInputs.of(
            "bench", "usb-" + Math.max(i, 0), List.of("http://dp-" + i + ".test:9080"))
        .withDeployment("win11-bare-metal");
  }

  private static double pct(List<Double> sorted, int p) {
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
