package io.osdeploy.transfer.wire;

import io.netty.buffer.ByteBuf;

/** PASS_END: the sender finished a pass; receivers with gaps NAK after a random back-off. */
public record PassEnd(int pass, long blocksSent) implements Message {
  public static final int BYTES = 8;

  @Override
  public MessageType type() {
    return MessageType.PASS_END;
  }

  @Override
  public void encode(ByteBuf out) {
    out.writeShort(pass).writeShort(0).writeInt((int) blocksSent);
  }

  public static PassEnd decode(ByteBuf p) throws DecodeException {
    Message.requireLength(p, BYTES, "PASS_END");
    int i = p.readerIndex();
    Message.requireZero(p.getUnsignedShort(i + 2), "PASS_END");
    return new PassEnd(p.getUnsignedShort(i), p.getUnsignedInt(i + 4));
  }
}
