package io.osdeploy.transfer.wire;

import io.netty.buffer.ByteBuf;

/**
 * PARITY: parity row {@code row} over FEC group {@code group} (blocks {@code group * g} to {@code
 * group * g + g - 1}, g from ANNOUNCE). {@code data} is one block size long; after decoding it is a
 * slice of the frame's payload.
 */
public record ParityBlock(int pass, int row, long group, ByteBuf data) implements Message {
  /** Groups have at least 1 block, and blocks are int-indexed. */
  public static final long MAX_GROUPS = 1L << 31;

  @Override
  public MessageType type() {
    return MessageType.PARITY;
  }

  @Override
  public void encode(ByteBuf out) {
    out.writeShort(pass).writeShort(row).writeInt((int) group);
    out.writeBytes(data, data.readerIndex(), data.readableBytes());
  }

  public static ParityBlock decode(ByteBuf p) throws DecodeException {
    Message.requireAtLeast(p, WireFormat.BLOCK_FIELDS_BYTES + 1, "PARITY");
    int i = p.readerIndex();
    int length = p.readableBytes() - WireFormat.BLOCK_FIELDS_BYTES;
    if (length > WireFormat.MAX_BLOCK_SIZE) {
      throw new DecodeException(DecodeException.Reason.BAD_LENGTH, "PARITY block of " + length);
    }
    int row = p.getUnsignedShort(i + 2);
    if (row >= ParityCode.MAX_ROWS) {
      throw DecodeException.field("PARITY row " + row);
    }
    long group = p.getUnsignedInt(i + 4);
    if (group >= MAX_GROUPS) {
      throw DecodeException.field("PARITY group " + group);
    }
    return new ParityBlock(
        p.getUnsignedShort(i), row, group, p.slice(i + WireFormat.BLOCK_FIELDS_BYTES, length));
  }
}
