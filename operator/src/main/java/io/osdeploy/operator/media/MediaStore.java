package io.osdeploy.operator.media;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where built media live (a persistent volume in a cluster) and the URL they are served at: {@code
 * <baseUrl>/media/<sha256>.iso}. Artifacts are named by their bytes, so a URL always means the same
 * image.
 */
public final class MediaStore {
  private static final Pattern SHA256 = Pattern.compile("^[0-9a-f]{64}$");

  private final MediaBuilder builder;
  private final Path directory;
  private final String baseUrl;

  public MediaStore(BootFiles files, Path directory, String baseUrl) {
    this.builder = new MediaBuilder(files, directory);
    this.directory = directory;
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
  }

  public Path directory() {
    return directory;
  }

  /** Builds the media for {@code inputs} into the store. */
  public Artifact build(MediaInputs inputs) throws IOException {
    return builder.build(inputs);
  }

  public String url(String sha256) {
    return baseUrl + "/media/" + sha256 + ".iso";
  }

  /** The stored artifact with that SHA-256, if it is there. */
  public Optional<Path> artifact(String sha256) {
    if (sha256 == null || !SHA256.matcher(sha256).matches()) {
      return Optional.empty();
    }
    Path file = directory.resolve(sha256 + ".iso");
    return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
  }

  /**
   * Removes what no media refers to: artifacts whose SHA-256 is not in {@code referenced}, and the
   * work directories of builds that never finished (an operator killed mid-build leaves one). Call
   * it only while no build runs. Returns the names removed.
   */
  public List<String> sweep(Set<String> referenced) throws IOException {
    if (!Files.isDirectory(directory)) {
      return List.of();
    }
    List<Path> stale = new ArrayList<>();
    try (Stream<Path> entries = Files.list(directory)) {
      entries
          .filter(
              p -> {
                String name = p.getFileName().toString();
                if (name.startsWith(MediaBuilder.WORK_PREFIX)) {
                  return true;
                }
                return name.endsWith(".iso")
                    && SHA256.matcher(name.substring(0, name.length() - 4)).matches()
                    && !referenced.contains(name.substring(0, name.length() - 4));
              })
          .forEach(stale::add);
    }
    List<String> removed = new ArrayList<>();
    for (Path p : stale) {
      MediaBuilder.deleteRecursively(p);
      removed.add(p.getFileName().toString());
    }
    return removed;
  }

  /** Removes a superseded artifact; says whether there was one. */
  public boolean remove(String sha256) throws IOException {
    Optional<Path> file = artifact(sha256);
    return file.isPresent() && Files.deleteIfExists(file.get());
  }
}
