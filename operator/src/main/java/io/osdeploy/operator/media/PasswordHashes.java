package io.osdeploy.operator.media;

import io.fabric8.kubernetes.api.model.Secret;
import io.osdeploy.auth.MediaPassword;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A password kept in a Secret, as the {@link MediaPassword} hash the boot servers check it against:
 * salted with a value fixed for the resource that uses it (from its uid and what it is for), so the
 * hash stays the same until the password changes, and computed once per version of the Secret
 * (PBKDF2 is slow on purpose). The password is wiped as soon as it is hashed and never logged or
 * written anywhere.
 */
public final class PasswordHashes {
  private final Map<String, String> cache = new ConcurrentHashMap<>();

  /**
   * The hash of {@code secret}'s {@code key} for the resource {@code ownerUid} uses it as {@code
   * purpose}; empty when the Secret or the key is missing or the password is empty.
   */
  public Optional<String> hash(Secret secret, String key, String ownerUid, String purpose) {
    if (secret == null || secret.getData() == null || secret.getData().get(key) == null) {
      return Optional.empty();
    }
    String owner = purpose + "/" + ownerUid + "/";
    String cacheKey =
        owner
            + secret.getMetadata().getUid()
            + "/"
            + secret.getMetadata().getResourceVersion()
            + "/"
            + key;
    String cached = cache.get(cacheKey);
    if (cached != null) {
      return Optional.of(cached);
    }
    byte[] bytes = Base64.getDecoder().decode(secret.getData().get(key));
    CharBuffer decoded = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes));
    Arrays.fill(bytes, (byte) 0);
    // A Secret made from a file often ends in a newline that nobody types at boot.
    int length = decoded.limit();
    while (length > 0 && (decoded.get(length - 1) == '\n' || decoded.get(length - 1) == '\r')) {
      length--;
    }
    char[] password = new char[length];
    decoded.get(password, 0, length);
    Arrays.fill(decoded.array(), '\0');
    try {
      if (password.length == 0) {
        return Optional.empty();
      }
      String hash = MediaPassword.hash(password, salt(purpose, ownerUid));
      cache.keySet().removeIf(k -> k.startsWith(owner));
      cache.put(cacheKey, hash);
      return Optional.of(hash);
    } finally {
      MediaPassword.wipe(password);
    }
  }

  /** Forgets what was cached for the resource {@code ownerUid}. */
  public void forget(String ownerUid, String purpose) {
    String owner = purpose + "/" + ownerUid + "/";
    cache.keySet().removeIf(k -> k.startsWith(owner));
  }

  private static byte[] salt(String purpose, String ownerUid) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(("osdeploy-" + purpose + "\0" + ownerUid).getBytes(StandardCharsets.UTF_8));
      return Arrays.copyOf(digest, MediaPassword.SALT_BYTES);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
