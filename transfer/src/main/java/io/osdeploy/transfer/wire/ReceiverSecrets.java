package io.osdeploy.transfer.wire;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * What one receiver gets in its ticket: the session's shared secret, its own feedback key (no other
 * receiver has it), and the sender's public key, which checks the signed control messages.
 */
public record ReceiverSecrets(byte[] groupSecret, byte[] feedbackKey, PublicKey senderKey) {
  public ReceiverSecrets {
    if (groupSecret.length != SessionKeys.SECRET_BYTES) {
      throw new IllegalArgumentException(
          "a session secret has " + SessionKeys.SECRET_BYTES + " bytes");
    }
    if (feedbackKey.length != SessionKeys.SECRET_BYTES) {
      throw new IllegalArgumentException(
          "a feedback key has " + SessionKeys.SECRET_BYTES + " bytes");
    }
  }

  /** The sender's public key as a ticket carries it: base64 of its X.509 encoding. */
  public static String encodeKey(PublicKey key) {
    return Base64.getEncoder().encodeToString(key.getEncoded());
  }

  /** The sender's public key from a ticket; throws naming the field when it is not Ed25519. */
  public static PublicKey decodeKey(String base64) {
    try {
      PublicKey key =
          KeyFactory.getInstance("Ed25519")
              .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
      return key;
    } catch (GeneralSecurityException | IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException("senderKey: not an Ed25519 public key", e);
    }
  }
}
