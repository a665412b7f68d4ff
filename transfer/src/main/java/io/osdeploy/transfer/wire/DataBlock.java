package io.osdeploy.transfer.wire;

import io.netty.buffer.ByteBuf;

/**
 * DATA: one block of the image. After decoding, {@code data} is a slice of the frame's payload,
 * valid until the frame is released.
 */
public record DataBlock(int pass, long block, ByteBuf data) implements Message {
  @Override
  public MessageType type() {
    return MessageType.DATA;
  }

  @Override
  public void encode(ByteBuf out) {
    out.writeShort(pass).writeShort(0).writeInt((int) block);
    out.writeBytes(data, data.readerIndex(), data.readableBytes());
  }

  public static DataBlock decode(ByteBuf p) throws DecodeException {
    Message.requireAtLeast(p, WireFormat.BLOCK_FIELDS_BYTES + 1, "DATA");
    int i = p.readerIndex();
    Message.requireZero(p.getUnsignedShort(i + 2), "DATA");
    int length = p.readableBytes() - WireFormat.BLOCK_FIELDS_BYTES;
    if (length > WireFormat.MAX_BLOCK_SIZE) {
      throw new DecodeException(DecodeException.Reason.BAD_LENGTH, "DATA block of " + length);
    }
    return new DataBlock(
        p.getUnsignedShort(i),
        p.getUnsignedInt(i + 4),
        p.slice(i + WireFormat.BLOCK_FIELDS_BYTES, length));
  }
}
