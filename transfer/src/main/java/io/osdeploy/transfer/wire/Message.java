package io.osdeploy.transfer.wire;

import io.netty.buffer.ByteBuf;

/** A decoded payload of one message type; see docs/multicast-protocol.md section 3. */
public sealed interface Message
    permits Announce, DataBlock, ParityBlock, Nak, PassEnd, Status, SessionEnd {

  MessageType type();

  /** Writes the plaintext payload. */
  void encode(ByteBuf out);

  /**
   * Decodes the payload of {@code frame} by its header's type. The result may hold a slice of the
   * frame's payload ({@link DataBlock}, {@link ParityBlock}): use it before releasing the frame.
   */
  public static Message decode(Frame frame) throws DecodeException {
    ByteBuf p = frame.payload();
    switch (frame.header().type()) {
      case ANNOUNCE:
        return Announce.decode(p);
      case DATA:
        return DataBlock.decode(p);
      case PARITY:
        return ParityBlock.decode(p);
      case NAK:
        return Nak.decode(p);
      case PASS_END:
        return PassEnd.decode(p);
      case STATUS:
        return Status.decode(p);
      case SESSION_END:
        return SessionEnd.decode(p);
      default:
        throw new DecodeException(DecodeException.Reason.UNKNOWN_TYPE, "no decoder");
    }
  }

  /** Fails unless the payload has exactly {@code expected} bytes. */
  public static void requireLength(ByteBuf p, int expected, String what) throws DecodeException {
    if (p.readableBytes() != expected) {
      throw new DecodeException(
          p.readableBytes() < expected
              ? DecodeException.Reason.TRUNCATED
              : DecodeException.Reason.BAD_LENGTH,
          what + " payload of " + p.readableBytes() + " bytes, expected " + expected);
    }
  }

  public static void requireAtLeast(ByteBuf p, int min, String what) throws DecodeException {
    if (p.readableBytes() < min) {
      throw new DecodeException(
          DecodeException.Reason.TRUNCATED,
          what + " payload of " + p.readableBytes() + " bytes, need at least " + min);
    }
  }

  public static void requireZero(int value, String what) throws DecodeException {
    if (value != 0) {
      throw DecodeException.field(what + " reserved field is " + value);
    }
  }
}
