package io.osdeploy.transfer.wire;

import io.netty.buffer.ByteBuf;

/** SESSION_END: the sender stops; incomplete receivers fall back to unicast. */
public record SessionEnd(Reason reason, int lastPass) implements Message {
  public static final int BYTES = 4;

  /** Why the session ended; the code is the wire value. */
  public enum Reason {
    ALL_VERIFIED(1),
    IDLE(2),
    ABORTED(3);

    private final int code;

    Reason(int code) {
      this.code = code;
    }

    static Reason fromCode(int code) throws DecodeException {
      for (Reason r : values()) {
        if (r.code == code) {
          return r;
        }
      }
      throw DecodeException.field("SESSION_END reason " + code);
    }
  }

  @Override
  public MessageType type() {
    return MessageType.SESSION_END;
  }

  @Override
  public void encode(ByteBuf out) {
    out.writeByte(reason.code).writeByte(0).writeShort(lastPass);
  }

  public static SessionEnd decode(ByteBuf p) throws DecodeException {
    Message.requireLength(p, BYTES, "SESSION_END");
    int i = p.readerIndex();
    Message.requireZero(p.getUnsignedByte(i + 1), "SESSION_END");
    return new SessionEnd(Reason.fromCode(p.getUnsignedByte(i)), p.getUnsignedShort(i + 2));
  }
}
