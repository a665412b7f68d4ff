package io.osdeploy.daemon.multicast;

import io.netty.buffer.ByteBuf;

/**
 * PARITY: a repair block computed over a section (reserved for the FEC stage). {@code data} is a
 * slice of the frame's payload after decoding.
 */
public record ParityBlock(int pass, int parityIndex, long section, ByteBuf data)
    implements Message {
  @Override
  public MessageType type() {
    return MessageType.PARITY;
  }

  @Override
  public void encode(ByteBuf out) {
    out.writeShort(pass).writeShort(parityIndex).writeInt((int) section);
    out.writeBytes(data, data.readerIndex(), data.readableBytes());
  }

  static ParityBlock decode(ByteBuf p) throws DecodeException {
    Message.requireAtLeast(p, WireFormat.BLOCK_FIELDS_BYTES + 1, "PARITY");
    int i = p.readerIndex();
    int length = p.readableBytes() - WireFormat.BLOCK_FIELDS_BYTES;
    if (length > WireFormat.MAX_BLOCK_SIZE) {
      throw new DecodeException(DecodeException.Reason.BAD_LENGTH, "PARITY block of " + length);
    }
    long section = p.getUnsignedInt(i + 4);
    if (section >= WireFormat.MAX_SECTIONS) {
      throw DecodeException.field("PARITY section " + section);
    }
    return new ParityBlock(
        p.getUnsignedShort(i),
        p.getUnsignedShort(i + 2),
        section,
        p.slice(i + WireFormat.BLOCK_FIELDS_BYTES, length));
  }
}
