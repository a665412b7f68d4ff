package io.osdeploy.transfer.wire;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The two keys derived from a session's shared 32-byte secret, so authentication and encryption
 * never share a key; and each receiver's own feedback key.
 */
public final class SessionKeys {
  public static final int SECRET_BYTES = 32;

  private final SecretKeySpec macKey;
  private final SecretKeySpec encKey;

  private SessionKeys(byte[] mac, byte[] enc) {
    this.macKey = new SecretKeySpec(mac, "HmacSHA256");
    this.encKey = new SecretKeySpec(enc, "AES");
  }

  /** Derives the keys from the secret the control endpoint hands out. */
  public static SessionKeys fromSecret(byte[] secret) {
    if (secret == null || secret.length != SECRET_BYTES) {
      throw new IllegalArgumentException("a session secret has " + SECRET_BYTES + " bytes");
    }
    return new SessionKeys(
        derive(secret, "osdeploy-mc-v1 mac"), derive(secret, "osdeploy-mc-v1 enc"));
  }

  public static byte[] newSecret(SecureRandom random) {
    byte[] secret = new byte[SECRET_BYTES];
    random.nextBytes(secret);
    return secret;
  }

  /**
   * The key receiver {@code sourceId} authenticates its feedback (NAK, STATUS) with: derived from a
   * secret only the sender holds, so no receiver can speak for another.
   */
  public static byte[] feedbackKey(byte[] feedbackSecret, int sourceId) {
    if (feedbackSecret == null || feedbackSecret.length != SECRET_BYTES) {
      throw new IllegalArgumentException("a feedback secret has " + SECRET_BYTES + " bytes");
    }
    return derive(feedbackSecret, "osdeploy-mc-v2 feedback " + Integer.toUnsignedString(sourceId));
  }

  public SecretKeySpec macKey() {
    return macKey;
  }

  public SecretKeySpec encKey() {
    return encKey;
  }

  private static byte[] derive(byte[] secret, String label) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return mac.doFinal(label.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
