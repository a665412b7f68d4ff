package io.osdeploy.daemon.content;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The SHA-256 state of the first {@code length} bytes of a partial download. Kept in memory between
 * attempts, so that retrying after a dropped connection does not read the bytes already on disk
 * again; after a restart they are hashed once.
 */
final class PartialDigest {
  private MessageDigest digest = newDigest();
  private long length;

  long length() {
    return length;
  }

  MessageDigest digest() {
    return digest;
  }

  void update(byte[] bytes, int offset, int count) {
    digest.update(bytes, offset, count);
    length += count;
  }

  void reset() {
    digest = newDigest();
    length = 0;
  }

  /** The hex SHA-256 of the bytes so far; the state is reset afterwards. */
  String finish() {
    String hex = HexFormat.of().formatHex(digest.digest());
    reset();
    return hex;
  }

  static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
