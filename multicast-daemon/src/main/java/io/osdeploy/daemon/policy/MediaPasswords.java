package io.osdeploy.daemon.policy;

import io.osdeploy.auth.MediaPassword;
import io.osdeploy.daemon.Threads;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The password hashes of this namespace's boot media (from the operator's {@code
 * osdeploy-media-passwords} ConfigMap) and the site PXE password's (from the daemon's
 * configuration), and the check of what a machine's user typed: iPXE sends it by HTTP Basic
 * authentication, user {@code osdeploy}. Checking is slow on purpose (PBKDF2), so it runs on one
 * thread of its own, which also bounds how fast anyone can guess.
 */
public final class MediaPasswords implements AutoCloseable {
  public static final String CONFIG_MAP = "osdeploy-media-passwords";
  public static final String USER = "osdeploy";

  /** Checks waiting beyond the one running: more are refused at once as busy. */
  static final int MAX_WAITING = 16;

  private final ExecutorService checker =
      new ThreadPoolExecutor(
          1,
          1,
          0,
          TimeUnit.MILLISECONDS,
          new ArrayBlockingQueue<>(MAX_WAITING),
          Threads.named("media-password"));

  private final AtomicLong busy = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private volatile String namespace;
  private volatile Map<String, String> hashes = Map.of();
  private volatile String pxeHash;

  /** The site PXE password's hash (the distribution point's {@code pxe.passwordSecretRef}). */
  public void publishPxe(String hash) {
    this.pxeHash = hash == null || hash.isEmpty() ? null : hash;
  }

  /** Whether a machine booting by PXE must give the site PXE password. */
  public boolean pxeRequired() {
    return pxeHash != null;
  }

  /** As {@link #admits}, for the site PXE password. */
  public CompletableFuture<Boolean> admitsPxe(String authorization) {
    return check(pxeHash, authorization);
  }

  /** Replaces the hashes: media name to {@link MediaPassword} hash, for media in {@code ns}. */
  public void publish(String ns, Map<String, String> byMediaName) {
    this.namespace = ns;
    this.hashes = byMediaName == null ? Map.of() : Map.copyOf(byMediaName);
  }

  /** Whether a request naming {@code media} must carry the media's password. */
  public boolean required(String media) {
    return hash(media) != null;
  }

  /**
   * Whether a request naming {@code media} with this {@code Authorization} header may go on: always
   * for media without a password, otherwise only with the right password.
   */
  public CompletableFuture<Boolean> admits(String media, String authorization) {
    return check(hash(media), authorization);
  }

  private CompletableFuture<Boolean> check(String hash, String authorization) {
    if (hash == null) {
      return CompletableFuture.completedFuture(true);
    }
    if (authorization == null) {
      // The first request of every boot: iPXE sends the password once asked.
      return CompletableFuture.completedFuture(false);
    }
    char[] password = basicPassword(authorization);
    if (password == null) {
      refused.incrementAndGet();
      return CompletableFuture.completedFuture(false);
    }
    try {
      return CompletableFuture.supplyAsync(
          () -> {
            try {
              boolean ok = MediaPassword.verify(password, hash);
              if (!ok) {
                refused.incrementAndGet();
              }
              return ok;
            } finally {
              MediaPassword.wipe(password);
            }
          },
          checker);
    } catch (RejectedExecutionException e) {
      // Many guesses at once: the machine's user sees "busy" and tries again.
      MediaPassword.wipe(password);
      busy.incrementAndGet();
      return CompletableFuture.failedFuture(new Busy());
    }
  }

  /** The password could not be checked now: too many checks are waiting. */
  public static final class Busy extends RuntimeException {
    Busy() {
      super("too many password checks waiting", null, false, false);
    }
  }

  /** Requests answered 503 because too many password checks were waiting. */
  public long busy() {
    return busy.get();
  }

  /** Requests refused so far for a wrong or malformed password (not for a missing one). */
  public long refused() {
    return refused.get();
  }

  private String hash(String media) {
    if (media == null) {
      return null;
    }
    String name = media;
    int slash = media.indexOf('/');
    if (slash >= 0) {
      if (!media.substring(0, slash).equals(namespace)) {
        return null;
      }
      name = media.substring(slash + 1);
    }
    String hash = hashes.get(name);
    return hash == null || hash.isEmpty() ? null : hash;
  }

  /** The password of a {@code Basic} header for user {@value #USER}, or null. */
  static char[] basicPassword(String authorization) {
    if (authorization == null
        || !authorization.regionMatches(true, 0, "Basic ", 0, 6)
        || authorization.length() > 1024) {
      return null;
    }
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(authorization.substring(6).trim());
    } catch (IllegalArgumentException e) {
      return null;
    }
    try {
      CharBuffer chars =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(decoded));
      char[] all = new char[chars.remaining()];
      chars.get(all);
      Arrays.fill(chars.array(), '\0');
      int colon = -1;
      for (int i = 0; i < all.length; i++) {
        if (all[i] == ':') {
          colon = i;
          break;
        }
      }
      if (colon < 0
          || !new String(all, 0, colon).toLowerCase(Locale.ROOT).equals(USER)
          || colon == all.length - 1) {
        MediaPassword.wipe(all);
        return null;
      }
      char[] password = Arrays.copyOfRange(all, colon + 1, all.length);
      MediaPassword.wipe(all);
      return password;
    } catch (CharacterCodingException e) {
      return null;
    } finally {
      Arrays.fill(decoded, (byte) 0);
    }
  }

  @Override
  public void close() {
    checker.shutdownNow();
  }
}
