package io.osdeploy.daemon.content;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.osdeploy.api.v1alpha1.Patterns;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The content library on disk. Each image has a folder, and each file in it is named by the SHA-256
 * its bytes must have: {@code <root>/<image>/<sha256>} is a verified copy, {@code <sha256>.partial}
 * a download in progress and {@code <sha256>.verified} the record of a verification. So a new
 * version of an image never overwrites the old one, which stays until the new one is verified.
 *
 * <p>Only files of these forms are ever deleted: the content path may be shared with other things
 * (a dedicated disk has {@code lost+found}, for one).
 */
final class ContentDirectory {
  private static final Pattern OWN_FILE =
      Pattern.compile("^([0-9a-f]{64})(\\.partial|\\.verified|\\.verified\\.tmp)?$");
  private static final Pattern IMAGE_NAME = Pattern.compile(Patterns.OBJECT_NAME);
  private static final String PARTIAL = ".partial";
  private static final String RECORD = ".verified";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What is known of a verified file, written next to it once it is in place.
   *
   * <p>Why a record rather than hashing every copy again at start: that would read the whole
   * library (hundreds of gigabytes at a busy site) on every restart, and a DaemonSet rollout
   * restarts every node, each serving nothing until done. A file gets its final name only after its
   * SHA-256 matched and its bytes were synced, and the record is written after that; so a record
   * whose size and modification time still match the file means it was verified here. A crash
   * between the move and the record, or anything that changes the file's size or time, sends the
   * file through verification again. What a record cannot see is a bit flipped in place; clients
   * check the SHA-256 of what they receive in any case.
   */
  record VerificationRecord(String sha256, long size, long modifiedMillis) {}

  private final Path root;

  ContentDirectory(Path root) {
    this.root = root;
  }

  Path root() {
    return root;
  }

  Path imageDir(String image) {
    return root.resolve(image);
  }

  Path verifiedPath(String image, String sha256) {
    return imageDir(image).resolve(sha256);
  }

  Path partialPath(String image, String sha256) {
    return imageDir(image).resolve(sha256 + PARTIAL);
  }

  private Path recordPath(String image, String sha256) {
    return imageDir(image).resolve(sha256 + RECORD);
  }

  /** The file names that belong to one version of an image. */
  static Set<String> filesOf(String sha256, boolean withPartial) {
    return withPartial
        ? Set.of(sha256, sha256 + RECORD, sha256 + PARTIAL)
        : Set.of(sha256, sha256 + RECORD);
  }

  /** The copy verified earlier, if its record says so and the file is still as recorded. */
  Optional<VerifiedFile> recorded(String image, String sha256) throws IOException {
    Path file = verifiedPath(image, sha256);
    Path recordFile = recordPath(image, sha256);
    if (!Files.isRegularFile(file) || !Files.isRegularFile(recordFile)) {
      return Optional.empty();
    }
    VerificationRecord record;
    try {
      record = JSON.readValue(recordFile.toFile(), VerificationRecord.class);
    } catch (IOException e) {
      // A torn or foreign record proves nothing; the file is verified again instead.
      return Optional.empty();
    }
    long size = Files.size(file);
    long modified = Files.getLastModifiedTime(file).toMillis();
    if (!sha256.equals(record.sha256())
        || record.size() != size
        || record.modifiedMillis() != modified) {
      return Optional.empty();
    }
    return Optional.of(new VerifiedFile(image, sha256, file, size));
  }

  /** The most recently verified copy of any version of the image. */
  Optional<VerifiedFile> newestRecorded(String image) throws IOException {
    VerifiedFile newest = null;
    long newestModified = Long.MIN_VALUE;
    for (String sha : versionsOnDisk(image)) {
      Optional<VerifiedFile> found = recorded(image, sha);
      if (found.isPresent()) {
        long modified = Files.getLastModifiedTime(found.get().path()).toMillis();
        if (modified > newestModified) {
          newest = found.get();
          newestModified = modified;
        }
      }
    }
    return Optional.ofNullable(newest);
  }

  /**
   * Gives a verified partial file its final name atomically, then records the verification. Both
   * steps are synced, so after a crash the file is either absent, present unrecorded (verified
   * again at start) or present and recorded.
   */
  VerifiedFile publish(Path partial, String image, String sha256) throws IOException {
    Path target = verifiedPath(image, sha256);
    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
    syncDirectory(target.getParent());
    record(image, sha256);
    return new VerifiedFile(image, sha256, target, Files.size(target));
  }

  /** Records that the file now at the image's final path for {@code sha256} was verified. */
  void record(String image, String sha256) throws IOException {
    Path file = verifiedPath(image, sha256);
    VerificationRecord record =
        new VerificationRecord(
            sha256, Files.size(file), Files.getLastModifiedTime(file).toMillis());
    Path recordFile = recordPath(image, sha256);
    Path temporary = recordFile.resolveSibling(recordFile.getFileName() + ".tmp");
    try (FileChannel channel =
        FileChannel.open(
            temporary,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      writeFully(channel, ByteBuffer.wrap(JSON.writeValueAsBytes(record)));
      channel.force(true);
    }
    Files.move(temporary, recordFile, StandardCopyOption.ATOMIC_MOVE);
    syncDirectory(recordFile.getParent());
  }

  /** Deletes a version's final file and its record, e.g. after it failed verification. */
  void deleteVersion(String image, String sha256) throws IOException {
    Files.deleteIfExists(recordPath(image, sha256));
    Files.deleteIfExists(verifiedPath(image, sha256));
  }

  /** The image folders in the library. */
  List<String> images() throws IOException {
    List<String> images = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return images;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (Files.isDirectory(entry) && IMAGE_NAME.matcher(name).matches()) {
          images.add(name);
        }
      }
    }
    return images;
  }

  /**
   * Deletes the library's files in the image's folder except those named in {@code keep}, and the
   * folder itself once nothing is left in it; says how many files it deleted.
   */
  int tidy(String image, Set<String> keep) throws IOException {
    Path dir = imageDir(image);
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    int deleted = 0;
    boolean empty = true;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (!keep.contains(name) && OWN_FILE.matcher(name).matches()) {
          Files.deleteIfExists(entry);
          deleted++;
        } else {
          empty = false;
        }
      }
    }
    if (empty) {
      try {
        Files.deleteIfExists(dir);
      } catch (DirectoryNotEmptyException e) {
        // Something appeared meanwhile; it is left for the next tidy.
      }
    }
    return deleted;
  }

  private List<String> versionsOnDisk(String image) throws IOException {
    List<String> versions = new ArrayList<>();
    Path dir = imageDir(image);
    if (!Files.isDirectory(dir)) {
      return versions;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        Matcher m = OWN_FILE.matcher(entry.getFileName().toString());
        if (m.matches() && m.group(2) == null) {
          versions.add(m.group(1));
        }
      }
    }
    return versions;
  }

  static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  /** Makes a rename or a new file in the folder durable. */
  static void syncDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }
}
