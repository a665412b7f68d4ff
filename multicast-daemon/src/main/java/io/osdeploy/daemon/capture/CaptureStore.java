package io.osdeploy.daemon.capture;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.osdeploy.api.v1alpha1.ImageCapture;
import io.osdeploy.api.v1alpha1.OSImageSpec;
import io.osdeploy.api.v1alpha1.Patterns;
import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.daemon.content.VerifiedFile;
import io.osdeploy.daemon.policy.PolicyBook;
import io.osdeploy.daemon.policy.PolicyIndex;
import io.osdeploy.daemon.policy.PolicyRequest;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Images that captureImage steps upload: one per deployment, machine and step name (a later one
 * replaces it), each a Zstandard file named by a random id with its description beside it. The id
 * is the only key to a capture: it is served to whoever names it, so that other distribution points
 * can pull it as an OSImage's source, and it appears only in the deployment's status. Within a size
 * limit per capture, a quota for all, and a count.
 */
public final class CaptureStore {
  /** Under the content path. */
  public static final String DIR = ".osdeploy-captures";

  /** The largest capture: the largest OSImage. */
  public static final long DEFAULT_MAX_BYTES = 1L << 40;

  public static final long DEFAULT_QUOTA_BYTES = 512L << 30;

  /** Captures kept at most, whatever their size. */
  public static final int MAX_CAPTURES = 1000;

  /** Where captures are served: the daemon's endpoint and this, then the id. */
  public static final String PREFIX = "/v1/captures/";

  private static final Logger log = LoggerFactory.getLogger(CaptureStore.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private static final Pattern ID = Pattern.compile("^[0-9a-f]{32}$");
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A request refused, with its HTTP status and a message naming the field. */
  public static final class Refusal extends Exception {
    private final int status;

    public Refusal(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  /** Who may upload which capture, as the policy says. */
  public record Grant(
      String deployment,
      String uid,
      String mac,
      String uuid,
      String name,
      OSImageSpec.Format format) {}

  /** A kept capture: its description as the deployment's status shows it. */
  public record Stored(String id, String deployment, String uid, ImageCapture capture) {}

  private final PolicyBook policy;
  private final long maxBytes;
  private final long quotaBytes;
  private final Map<String, Stored> stored = new LinkedHashMap<>();
  private volatile Path root;
  private volatile Consumer<Stored> kept = s -> {};

  public CaptureStore(PolicyBook policy) {
    this(policy, DEFAULT_MAX_BYTES, DEFAULT_QUOTA_BYTES);
  }

  public CaptureStore(PolicyBook policy, long maxBytes, long quotaBytes) {
    this.policy = policy;
    this.maxBytes = maxBytes;
    this.quotaBytes = quotaBytes;
  }

  /** Calls {@code listener} with every capture kept from now on. */
  public void onKept(Consumer<Stored> listener) {
    this.kept = listener;
  }

  /**
   * Keeps captures under {@code contentPath}; until then every upload is refused with 503. Uploads
   * a crash left unfinished are removed; kept captures are read back.
   */
  public synchronized void open(Path contentPath) {
    Path dir = contentPath.resolve(DIR);
    stored.clear();
    try {
      Files.createDirectories(dir);
      try (Stream<Path> entries = Files.list(dir)) {
        for (Path entry : entries.sorted().toList()) {
          String name = entry.getFileName().toString();
          if (name.endsWith(".partial")) {
            Files.deleteIfExists(entry);
          } else if (name.endsWith(".json")) {
            Stored s = JSON.readValue(entry.toFile(), Stored.class);
            if (ID.matcher(s.id()).matches() && Files.isRegularFile(file(dir, s.id()))) {
              stored.put(s.id(), s);
            }
          }
        }
      }
    } catch (IOException e) {
      log.warn("captures: cannot read {} ({})", dir, e.toString());
    }
    this.root = dir;
  }

  public long maxBytes() {
    return maxBytes;
  }

  /** What the quota has left. */
  public synchronized long roomBytes() {
    long used = 0;
    for (Stored s : stored.values()) {
      used += s.capture().getSizeBytes();
    }
    return quotaBytes - used;
  }

  /** Every kept capture, oldest first. */
  public synchronized List<Stored> all() {
    return List.copyOf(stored.values());
  }

  /** A capture's file, by the id its URL ends in. */
  public synchronized Optional<VerifiedFile> verified(String id) {
    Stored s = stored.get(id);
    Path dir = root;
    if (s == null || dir == null) {
      return Optional.empty();
    }
    return Optional.of(
        new VerifiedFile(id, s.capture().getSha256(), file(dir, id), s.capture().getSizeBytes()));
  }

  /**
   * Whether the machine may upload capture {@code name} for {@code deployment}: the deployment is
   * published here, targets the machine, and has a captureImage step of that name.
   */
  public Grant authorize(String deployment, String mac, String uuid, String name) throws Refusal {
    if (root == null) {
      throw new Refusal(503, "captures are not configured yet; try again");
    }
    PolicyRequest machine;
    try {
      machine = new PolicyRequest(mac, uuid, PolicyRequest.Source.CLIENT, deployment);
    } catch (IllegalArgumentException e) {
      throw new Refusal(400, e.getMessage());
    }
    if (machine.deployment() == null) {
      throw new Refusal(400, "deployment: required");
    }
    if (name == null || name.length() > 63 || !name.matches(Patterns.OBJECT_NAME)) {
      throw new Refusal(400, "name: not a capture name (lower-case letters, digits, '-' and '.')");
    }
    if (!policy.publishes(machine.deployment())) {
      throw new Refusal(
          404, "deployment: this distribution point publishes no deployment " + deployment);
    }
    Optional<PolicyIndex.Offer> targeting =
        policy.targeting(machine.mac(), machine.uuid(), machine.deployment());
    if (targeting.isEmpty()) {
      throw new Refusal(403, "deployment: " + deployment + " is not for this machine");
    }
    TaskSequenceDeployment d = targeting.get().deployment();
    for (Step step : d.getSpec().getTaskSequence().getSteps()) {
      Step.CaptureImage c = step.getCaptureImage();
      if (c != null && name.equals(c.getName())) {
        return new Grant(
            machine.deployment(),
            d.getMetadata().getUid(),
            machine.mac(),
            machine.uuid(),
            name,
            c.getPartition() == null ? OSImageSpec.Format.Disk : OSImageSpec.Format.Partition);
      }
    }
    throw new Refusal(
        403, "name: deployment " + deployment + " has no captureImage step named " + name);
  }

  /** A new file for an upload to stream into. */
  public Path newUpload() throws IOException {
    Path dir = root;
    if (dir == null) {
      throw new IOException("captures are not configured yet");
    }
    return Files.createTempFile(dir, ".upload-", ".partial");
  }

  /**
   * Keeps a complete, synced upload as the grant's capture, replacing the one it had; {@code
   * baseUrl} is where this daemon is reached.
   */
  public Stored keep(
      Grant grant,
      Path upload,
      String sha256,
      long bytes,
      OSImageSpec.Uncompressed uncompressed,
      String baseUrl,
      String node)
      throws IOException, Refusal {
    Path dir = root;
    Stored s;
    Stored replaced;
    synchronized (this) {
      replaced =
          stored.values().stream()
              .filter(
                  o ->
                      o.deployment().equals(grant.deployment())
                          && Objects.equals(o.uid(), grant.uid())
                          && Objects.equals(o.capture().getMac(), grant.mac())
                          && Objects.equals(o.capture().getUuid(), grant.uuid())
                          && o.capture().getName().equals(grant.name()))
              .findFirst()
              .orElse(null);
      if (replaced == null && stored.size() >= MAX_CAPTURES) {
        throw new Refusal(
            507, "this distribution point keeps " + MAX_CAPTURES + " captures already");
      }
      String id = HexFormat.of().formatHex(id());
      ImageCapture c = new ImageCapture();
      c.setName(grant.name());
      c.setMac(grant.mac());
      c.setUuid(grant.uuid());
      c.setUrl(baseUrl + PREFIX + id);
      c.setSha256(sha256);
      c.setSizeBytes(bytes);
      c.setFormat(grant.format());
      c.setCompression(OSImageSpec.Compression.Zstd);
      c.setUncompressed(uncompressed);
      c.setNode(node);
      c.setTime(Instant.now().truncatedTo(ChronoUnit.MILLIS).toString());
      s = new Stored(id, grant.deployment(), grant.uid(), c);
      move(upload, file(dir, id));
      Path description = dir.resolve(id + ".json.tmp");
      JSON.writeValue(description.toFile(), s);
      move(description, dir.resolve(id + ".json"));
      stored.put(id, s);
      if (replaced != null) {
        stored.remove(replaced.id());
        Files.deleteIfExists(dir.resolve(replaced.id() + ".json"));
        Files.deleteIfExists(file(dir, replaced.id()));
      }
    }
    log.info(
        "captures: {} of {} for {} kept as {} ({} bytes, SHA-256 {}){}",
        grant.name(),
        grant.mac() != null ? grant.mac() : grant.uuid(),
        grant.deployment(),
        s.id(),
        bytes,
        sha256,
        replaced == null ? "" : ", replacing " + replaced.id());
    kept.accept(s);
    return s;
  }

  private static byte[] id() {
    byte[] id = new byte[16];
    RANDOM.nextBytes(id);
    return id;
  }

  private static Path file(Path dir, String id) {
    return dir.resolve(id + ".zst");
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** For tests and diagnostics: the directory captures are kept in. */
  public Path dir() {
    return root;
  }
}
