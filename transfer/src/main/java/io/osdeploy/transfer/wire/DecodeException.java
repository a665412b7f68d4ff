package io.osdeploy.transfer.wire;

/**
 * A datagram that must be dropped: malformed, truncated, unauthenticated, replayed, or a sender's
 * message without the sender's signature. The reason is what metrics count; the message names the
 * offending field.
 */
public final class DecodeException extends Exception {
  /** Why a datagram was dropped. */
  public enum Reason {
    TRUNCATED,
    BAD_LENGTH,
    BAD_MAGIC,
    BAD_VERSION,
    UNKNOWN_TYPE,
    BAD_FIELD,
    AUTHENTICATION_FAILED,
    DECRYPTION_FAILED,
    REPLAYED,
    BAD_SIGNATURE,
    WRONG_SESSION
  }

  private final Reason reason;

  public DecodeException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }

  public static DecodeException field(String message) {
    return new DecodeException(Reason.BAD_FIELD, message);
  }
}
