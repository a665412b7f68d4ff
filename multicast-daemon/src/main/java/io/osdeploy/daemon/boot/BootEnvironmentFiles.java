package io.osdeploy.daemon.boot;

import io.osdeploy.daemon.content.VerifiedContent;
import io.osdeploy.daemon.content.VerifiedFile;
import io.osdeploy.digest.Sha256;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The boot environment a daemon ships with (built by {@code boot-environment/build.sh}): {@code
 * vmlinuz} and {@code initrd.img} with their SHA-256 in {@code SHA256SUMS}. Loading checks every
 * file against its sum, so only bytes that match are ever served ({@code /boot/<file>}).
 */
public final class BootEnvironmentFiles implements VerifiedContent {
  public static final String KERNEL = "vmlinuz";
  public static final String INITRD = "initrd.img";

  /** Where the daemon's image keeps the boot environment it ships with. */
  public static final Path IMAGE_DIRECTORY = Path.of("/opt/osdeploy/boot-environment");

  private static final List<String> FILES = List.of(KERNEL, INITRD);
  private static final Pattern SUM_LINE = Pattern.compile("^([0-9a-f]{64}) [ *]([^/\\s]+)$");

  private final Path directory;
  private final Map<String, VerifiedFile> files;

  private BootEnvironmentFiles(Path directory, Map<String, VerifiedFile> files) {
    this.directory = directory;
    this.files = files;
  }

  /**
   * Reads and checks the boot environment in {@code directory}.
   *
   * @throws IOException naming the file that is missing, unreadable or does not match its sum
   */
  public static BootEnvironmentFiles load(Path directory) throws IOException {
    Path sums = directory.resolve("SHA256SUMS");
    if (!Files.isRegularFile(sums)) {
      throw new IOException(
          sums + ": missing (a boot environment has vmlinuz, initrd.img and SHA256SUMS)");
    }
    Map<String, String> expected = new LinkedHashMap<>();
    for (String line : Files.readAllLines(sums)) {
      Matcher m = SUM_LINE.matcher(line.strip());
      if (m.matches()) {
        expected.put(m.group(2), m.group(1));
      } else if (!line.isBlank()) {
        throw new IOException(sums + ": not a sha256sum line: " + line);
      }
    }
    Map<String, VerifiedFile> verified = new LinkedHashMap<>();
    for (String name : FILES) {
      String sha = expected.get(name);
      if (sha == null) {
        throw new IOException(sums + ": names no " + name);
      }
      Path file = directory.resolve(name);
      String actual = Sha256.of(file);
      if (!actual.equals(sha)) {
        throw new IOException(file + ": SHA-256 is " + actual + ", SHA256SUMS says " + sha);
      }
      verified.put(name, new VerifiedFile(name, sha, file, Files.size(file)));
    }
    return new BootEnvironmentFiles(directory, Map.copyOf(verified));
  }

  public Path directory() {
    return directory;
  }

  public VerifiedFile kernel() {
    return files.get(KERNEL);
  }

  public VerifiedFile initrd() {
    return files.get(INITRD);
  }

  @Override
  public Optional<VerifiedFile> verified(String name) {
    return Optional.ofNullable(files.get(name));
  }
}
