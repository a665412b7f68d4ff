package io.osdeploy.transfer.wire;

/** The type byte of the header. */
public enum MessageType {
  ANNOUNCE(1),
  DATA(2),
  PARITY(3),
  NAK(4),
  PASS_END(5),
  STATUS(6),
  SESSION_END(7);

  private final int code;

  MessageType(int code) {
    this.code = code;
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
