package io.osdeploy.transfer.wire;

/**
 * The type byte of the header. The sender's control messages are {@link #signed}: they steer every
 * receiver, so a receiver that holds the session's shared key must not be able to make them.
 */
public enum MessageType {
  ANNOUNCE(1, true),
  DATA(2, false),
  PARITY(3, false),
  NAK(4, false),
  PASS_END(5, true),
  STATUS(6, false),
  SESSION_END(7, true);

  private final int code;
  private final boolean signed;

  MessageType(int code, boolean signed) {
    this.code = code;
    this.signed = signed;
  }

  /** Whether the sender signs this type (an Ed25519 signature ends its payload). */
  public boolean signed() {
    return signed;
  }

  public int code() {
    return code;
  }

  public static MessageType fromCode(int code) throws DecodeException {
    for (MessageType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    throw new DecodeException(DecodeException.Reason.UNKNOWN_TYPE, "unknown message type " + code);
  }
}
