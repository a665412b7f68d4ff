package io.osdeploy.transfer.wire;

import io.netty.buffer.ByteBuf;

/** STATUS: a receiver's progress or outcome, unicast to the sender. */
public record Status(State state, long blocksHeld, long blocksMissing) implements Message {
  public static final int BYTES = 12;

  /** The share of the sender's datagrams lost in one interval that makes a receiver congested. */
  public static final double CONGESTED_LOSS = 0.20;

  /** The receiver's state; the code is the wire value. */
  public enum State {
    RECEIVING(1),
    VERIFIED(2),
    DIGEST_MISMATCH(3),
    LEAVING(4),
    /**
     * The sender outruns this receiver: over the last interval it lost at least {@link
     * #CONGESTED_LOSS} of the sender's datagrams. The fields then count the interval's datagrams
     * received and lost, not blocks.
     */
    CONGESTED(5);

    private final int code;

    State(int code) {
      this.code = code;
    }

    static State fromCode(int code) throws DecodeException {
      for (State s : values()) {
        if (s.code == code) {
          return s;
        }
      }
      throw DecodeException.field("STATUS state " + code);
    }
  }

  @Override
  public MessageType type() {
    return MessageType.STATUS;
  }

  @Override
  public void encode(ByteBuf out) {
    out.writeByte(state.code)
        .writeMedium(0)
        .writeInt((int) blocksHeld)
        .writeInt((int) blocksMissing);
  }

  public static Status decode(ByteBuf p) throws DecodeException {
    Message.requireLength(p, BYTES, "STATUS");
    int i = p.readerIndex();
    Message.requireZero(p.getUnsignedMedium(i + 1), "STATUS");
    return new Status(
        State.fromCode(p.getUnsignedByte(i)), p.getUnsignedInt(i + 4), p.getUnsignedInt(i + 8));
  }
}
