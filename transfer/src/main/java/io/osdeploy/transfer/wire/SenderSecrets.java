package io.osdeploy.transfer.wire;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;

/**
 * What only the sender of a session holds: the shared secret every receiver also gets (it keeps out
 * hosts that did not join), the secret each receiver's feedback key comes from, and the Ed25519 key
 * pair that signs the control messages.
 */
public record SenderSecrets(byte[] groupSecret, byte[] feedbackSecret, KeyPair signing) {
  public SenderSecrets {
    if (groupSecret.length != SessionKeys.SECRET_BYTES
        || feedbackSecret.length != SessionKeys.SECRET_BYTES) {
      throw new IllegalArgumentException(
          "session secrets have " + SessionKeys.SECRET_BYTES + " bytes");
    }
    if (!"EdDSA".equals(signing.getPublic().getAlgorithm())
        && !"Ed25519".equals(signing.getPublic().getAlgorithm())) {
      throw new IllegalArgumentException("the signing key is Ed25519");
    }
  }

  /** Fresh secrets and a fresh key pair for a new session. */
  public static SenderSecrets generate(SecureRandom random) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
      generator.initialize(255, random);
      return new SenderSecrets(
          SessionKeys.newSecret(random),
          SessionKeys.newSecret(random),
          generator.generateKeyPair());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 is part of every JDK since 15", e);
    }
  }

  /** What receiver {@code sourceId} gets in its ticket. */
  public ReceiverSecrets receiver(int sourceId) {
    if (sourceId == WireFormat.SENDER_SOURCE_ID) {
      throw new IllegalArgumentException("source id 0 is the sender's");
    }
    return new ReceiverSecrets(
        groupSecret, SessionKeys.feedbackKey(feedbackSecret, sourceId), signing.getPublic());
  }
}
