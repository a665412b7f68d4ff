package io.osdeploy.transfer.wire;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;

/**
 * The sender's Ed25519 signature over a control message: its type, session, sequence and plaintext
 * body, after a fixed label. The sequence is inside, so a recorded control message cannot be sent
 * again under a new sequence; the replay window stops it under its old one.
 */
final class ControlSignature {
  private static final byte[] LABEL = "osdeploy-mc-v2 control".getBytes(StandardCharsets.US_ASCII);

  private ControlSignature() {}

  static byte[] sign(PrivateKey key, MessageType type, int sessionId, long sequence, byte[] body) {
    try {
      Signature signer = Signature.getInstance("Ed25519");
      signer.initSign(key);
      signer.update(signedBytes(type, sessionId, sequence, body));
      return signer.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign " + type, e);
    }
  }

  static boolean verify(
      PublicKey key,
      MessageType type,
      int sessionId,
      long sequence,
      byte[] body,
      byte[] signature) {
    try {
      Signature verifier = Signature.getInstance("Ed25519");
      verifier.initVerify(key);
      verifier.update(signedBytes(type, sessionId, sequence, body));
      return verifier.verify(signature);
    } catch (SignatureException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 is part of every JDK since 15", e);
    }
  }

  private static byte[] signedBytes(MessageType type, int sessionId, long sequence, byte[] body) {
    return ByteBuffer.allocate(LABEL.length + 13 + body.length)
        .put(LABEL)
        .put((byte) type.code())
        .putInt(sessionId)
        .putLong(sequence)
        .put(body)
        .array();
  }
}
