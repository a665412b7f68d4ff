package io.osdeploy.daemon.userstate;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The versions of one store key, in a directory of their own: {@code v<n>.zip} archives and {@code
 * manifest.json}, which alone says which versions exist and their SHA-256. A new version is kept in
 * three durable steps (the archive renamed into place and its directory synced, then the manifest
 * written to a temporary file, synced and renamed over the old one, then the directory synced):
 * after a crash at any point the manifest names only whole archives with their own digests, and
 * what it does not name is swept away. The newest {@link #KEEP} versions are kept.
 */
public final class StoredVersions {
  static final String MANIFEST = "manifest.json";
  static final int KEEP = 3;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One kept archive. */
  record Version(
      @JsonProperty("version") long version,
      @JsonProperty("sha256") String sha256,
      @JsonProperty("bytes") long bytes,
      @JsonProperty("storedAt") String storedAt) {}

  record Manifest(@JsonProperty("versions") List<Version> versions) {
    Manifest {
      versions = versions == null ? List.of() : List.copyOf(versions);
    }
  }

  private final Path dir;

  StoredVersions(Path dir) {
    this.dir = dir;
  }

  public Path dir() {
    return dir;
  }

  Path archive(Version v) {
    return dir.resolve("v" + v.version() + ".zip");
  }

  /** The newest version, if any. */
  Optional<Version> newest() throws IOException {
    List<Version> all = manifest().versions();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  Manifest manifest() throws IOException {
    try {
      return JSON.readValue(Files.readAllBytes(dir.resolve(MANIFEST)), Manifest.class);
    } catch (NoSuchFileException e) {
      return new Manifest(List.of());
    }
  }

  /** A file to receive an upload, in this key's directory (so that keeping it is a rename). */
  public Path newUpload() throws IOException {
    Files.createDirectories(dir);
    return Files.createTempFile(dir, ".upload-", ".partial");
  }

  /** Keeps {@code upload} (already synced) as the newest version; returns it. */
  Version keep(Path upload, String sha256, long bytes, Instant now) throws IOException {
    List<Version> versions = new ArrayList<>(manifest().versions());
    long next = versions.isEmpty() ? 1 : versions.get(versions.size() - 1).version() + 1;
    Version v = new Version(next, sha256, bytes, now.toString());
    Files.move(upload, archive(v), StandardCopyOption.ATOMIC_MOVE);
    syncDirectory();
    versions.add(v);
    while (versions.size() > KEEP) {
      versions.remove(0);
    }
    Path tmp = dir.resolve(MANIFEST + ".tmp");
    try (FileChannel out =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      out.write(java.nio.ByteBuffer.wrap(JSON.writeValueAsBytes(new Manifest(versions))));
      out.force(true);
    }
    Files.move(
        tmp,
        dir.resolve(MANIFEST),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    syncDirectory();
    sweep();
    return v;
  }

  /**
   * Removes what the manifest does not name: uploads that never finished, archives of versions
   * dropped or never committed, a manifest left half written.
   */
  void sweep() throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    Set<String> named =
        manifest().versions().stream()
            .map(v -> archive(v).getFileName().toString())
            .collect(Collectors.toSet());
    named.add(MANIFEST);
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        if (!named.contains(f.getFileName().toString())) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  /** Bytes of every file in this key's directory. */
  long bytes() throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    long total = 0;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        total += Files.size(f);
      }
    }
    return total;
  }

  private void syncDirectory() throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  /**
   * An archive stored the old way ({@code <key>.zip} beside {@code <key>.zip.sha256}), moved in.
   */
  void adopt(Path oldArchive, Path oldSha256, Instant now) throws IOException {
    String sha = Files.readString(oldSha256, StandardCharsets.US_ASCII).strip();
    Path upload = newUpload();
    Files.move(oldArchive, upload, StandardCopyOption.REPLACE_EXISTING);
    keep(upload, sha, Files.size(upload), now);
    Files.deleteIfExists(oldSha256);
  }
}
