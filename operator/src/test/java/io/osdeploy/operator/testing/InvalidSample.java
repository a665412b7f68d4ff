package io.osdeploy.operator.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** A file of {@code samples/invalid/} with the error its header says it must get. */
public record InvalidSample(Path file, String expect, String rejectedBy) {
  public static final Path SAMPLES = Path.of("..", "samples").normalize();
  public static final Path DIR = SAMPLES.resolve("invalid");

  public static List<InvalidSample> all() {
    try (Stream<Path> files = Files.list(DIR)) {
      return files
          .filter(f -> f.toString().endsWith(".yaml"))
          .sorted()
          .map(InvalidSample::read)
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The field the error names: what comes before the first ": " of the expectation. */
  public String field() {
    return expect.substring(0, expect.indexOf(": "));
  }

  private static InvalidSample read(Path file) {
    try {
      List<String> lines = Files.readAllLines(file);
      return new InvalidSample(file, header(lines, "# expect: "), header(lines, "# rejected-by: "));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String header(List<String> lines, String prefix) {
    return lines.stream()
        .filter(l -> l.startsWith(prefix))
        .map(l -> l.substring(prefix.length()).trim())
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("missing header '" + prefix + "'"));
  }

  @Override
  public String toString() {
    return file.getFileName().toString();
  }
}
