package io.osdeploy.daemon.auth;

import io.osdeploy.auth.MachineToken;
import io.osdeploy.auth.MachineTokenKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tokens this node hands to machines and checks on every request after boot. The keys come from
 * the distribution point's mounted Secret ({@code machineTokenDirectory} in the daemon's
 * configuration, or {@code --token-keys}), read again when the kubelet refreshes it; a daemon
 * without a key directory (run by hand, outside a pod) signs with a key of its own that lasts until
 * it stops. Refusals are counted by reason for {@code /metrics}.
 */
public final class MachineTokens {
  private static final Logger log = LoggerFactory.getLogger(MachineTokens.class);

  /** How often the key directory is looked at again. */
  static final long RELOAD_MILLIS = 10_000;

  /** The reasons a request is refused, as {@code /metrics} labels them. */
  public static final List<String> REASONS =
      List.of("missing", "malformed", "unknown-key", "bad-signature", "expired", "scope");

  private final Clock clock;
  private volatile Path directory;
  private volatile MachineTokenKeys keys;
  private volatile long loadedAt;
  private volatile String loadedFrom = "";
  private final MachineTokenKeys ownKeys;
  private final Map<String, AtomicLong> refused = new ConcurrentHashMap<>();
  private final AtomicLong issued = new AtomicLong();

  public MachineTokens(Clock clock) {
    this.clock = clock;
    this.ownKeys = MachineTokenKeys.of(List.of(MachineTokenKeys.generate(clock.instant())));
    this.keys = ownKeys;
    REASONS.forEach(r -> refused.put(r, new AtomicLong()));
  }

  public MachineTokens() {
    this(Clock.systemUTC());
  }

  /** Reads keys from {@code dir} from now on; null: this daemon's own key. */
  public void readKeysFrom(Path dir) {
    if (java.util.Objects.equals(dir, directory)) {
      return;
    }
    directory = dir;
    loadedAt = 0;
    current();
  }

  private MachineTokenKeys current() {
    Path dir = directory;
    if (dir == null) {
      return ownKeys;
    }
    long now = System.currentTimeMillis();
    if (now - loadedAt < RELOAD_MILLIS) {
      return keys;
    }
    loadedAt = now;
    try {
      MachineTokenKeys read = Files.isDirectory(dir) ? MachineTokenKeys.fromDirectory(dir) : null;
      String from = dir + ": " + (read == null ? "missing" : read.ids());
      if (!from.equals(loadedFrom)) {
        loadedFrom = from;
        if (read == null || read.isEmpty()) {
          log.warn(
              "machine-token keys: {} has none yet; signing with this daemon's own key, which"
                  + " other nodes do not accept",
              dir);
        } else {
          log.info("machine-token keys from {}: {}", dir, read.ids());
        }
      }
      keys = read == null || read.isEmpty() ? ownKeys : read;
    } catch (IOException e) {
      log.warn(
          "machine-token keys: cannot read {} ({}); keeping the keys read before",
          dir,
          e.getMessage());
    }
    return keys;
  }

  /** A token for {@code mac}/{@code uuid} from {@code source}, for these deployments and images. */
  public String issue(
      String mac, String uuid, String source, List<String> deployments, List<String> images) {
    MachineTokenKeys k = current();
    Instant now = clock.instant();
    issued.incrementAndGet();
    return k.sign(
        new MachineToken(
            k.signing(now).id(),
            mac,
            uuid,
            source,
            deployments,
            images,
            now.getEpochSecond(),
            now.plus(MachineTokenKeys.TOKEN_LIFETIME).getEpochSecond()));
  }

  /** The same machine's token, signed now, for the deployments and images it still has. */
  public String renew(MachineToken token, List<String> deployments, List<String> images) {
    return issue(token.mac(), token.uuid(), token.source(), deployments, images);
  }

  /**
   * The claims of the bearer token in an {@code Authorization} header, or why there are none
   * (counted).
   */
  public MachineTokenKeys.Verification check(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return refuse("missing");
    }
    MachineTokenKeys.Verification v =
        current().verify(authorization.substring(7).strip(), clock.instant());
    if (!v.valid()) {
      refused.get(v.failure()).incrementAndGet();
    }
    return v;
  }

  /** Counts a valid token used beyond what it allows. */
  public MachineTokenKeys.Verification refuse(String reason) {
    refused.get(reason).incrementAndGet();
    return new MachineTokenKeys.Verification(null, reason);
  }

  /** Requests refused for their token, by reason. */
  public Map<String, Long> refused() {
    Map<String, Long> counts = new LinkedHashMap<>();
    REASONS.forEach(r -> counts.put(r.replace('-', '_'), refused.get(r).get()));
    return counts;
  }

  public long issued() {
    return issued.get();
  }
}
