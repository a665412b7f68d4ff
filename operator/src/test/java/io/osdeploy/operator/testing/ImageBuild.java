package io.osdeploy.operator.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs {@code deploy/images/build.sh} as the README does, and reads what it printed. */
public final class ImageBuild {
  public static final Path SCRIPT =
      Path.of("..", "deploy", "images", "build.sh").toAbsolutePath().normalize();

  /** One built image: its tag, its id (the SHA-256 of its configuration), and its archive. */
  public record Image(String tag, String id, Path archive) {}

  private ImageBuild() {}

  /** Builds {@code names} (operator, daemon) into {@code out}; the images by name. */
  public static Map<String, Image> build(Path out, String... names)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString(), "--out"));
    command.add(out.toString());
    command.addAll(List.of(names));
    Path log = Files.createTempFile("osdeploy-images", ".log");
    Process p =
        new ProcessBuilder(command)
            .redirectError(log.toFile())
            .redirectOutput(ProcessBuilder.Redirect.PIPE)
            .start();
    String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(20, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("build.sh failed: " + printed + Files.readString(log));
    }
    Map<String, Image> images = new LinkedHashMap<>();
    for (String line : printed.lines().toList()) {
      String[] parts = line.split(" ");
      if (parts.length == 3 && parts[0].startsWith("osdeploy/")) {
        String name = parts[0].substring("osdeploy/".length(), parts[0].indexOf(':'));
        images.put(name, new Image(parts[0], parts[1], out.resolve("osdeploy-" + name + ".tar")));
      }
    }
    return images;
  }
}
