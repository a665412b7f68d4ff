package io.osdeploy.transfer.wire;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * NAK: the blocks a receiver lacks, one bitmap per section (bit i = block i of the section is
 * missing). Sections are listed in increasing order, each once, each with at least one bit set.
 */
public record Nak(int pass, int bitmapBytes, List<Section> sections) implements Message {
  public static final int FIXED_BYTES = 8;

  /** The missing blocks of one section. */
  public record Section(long section, BitSet missing) {
    public Section {
      missing = (BitSet) missing.clone();
    }

    @Override
    public BitSet missing() {
      return (BitSet) missing.clone();
    }
  }

  public Nak {
    sections = List.copyOf(sections);
  }

  /** How many sections fit one datagram with bitmaps of {@code bitmapBytes}. */
  public static int maxSections(int bitmapBytes) {
    return (WireFormat.MAX_PAYLOAD - FIXED_BYTES) / (4 + bitmapBytes);
  }

  @Override
  public MessageType type() {
    return MessageType.NAK;
  }

  @Override
  public void encode(ByteBuf out) {
    if (sections.isEmpty() || sections.size() > maxSections(bitmapBytes)) {
      throw new IllegalArgumentException("a NAK carries 1.." + maxSections(bitmapBytes));
    }
    out.writeShort(pass).writeShort(bitmapBytes).writeShort(sections.size()).writeShort(0);
    for (Section s : sections) {
      byte[] bits = s.missing.toByteArray();
      if (bits.length > bitmapBytes) {
        throw new IllegalArgumentException("bitmap wider than " + bitmapBytes + " bytes");
      }
      out.writeInt((int) s.section).writeBytes(bits).writeZero(bitmapBytes - bits.length);
    }
  }

  public static Nak decode(ByteBuf p) throws DecodeException {
    Message.requireAtLeast(p, FIXED_BYTES, "NAK");
    int i = p.readerIndex();
    int pass = p.getUnsignedShort(i);
    int bitmapBytes = p.getUnsignedShort(i + 2);
    int count = p.getUnsignedShort(i + 4);
    Message.requireZero(p.getUnsignedShort(i + 6), "NAK");
    if (bitmapBytes < 1 || bitmapBytes > WireFormat.MAX_BITMAP_BYTES) {
      throw DecodeException.field("NAK bitmap of " + bitmapBytes + " bytes");
    }
    if (count < 1) {
      throw DecodeException.field("NAK with no sections");
    }
    Message.requireLength(p, FIXED_BYTES + count * (4 + bitmapBytes), "NAK");
    List<Section> sections = new ArrayList<>(count);
    long previous = -1;
    byte[] bits = new byte[bitmapBytes];
    for (int k = 0, at = i + FIXED_BYTES; k < count; k++, at += 4 + bitmapBytes) {
      long section = p.getUnsignedInt(at);
      if (section <= previous || section >= WireFormat.MAX_SECTIONS) {
        throw DecodeException.field("NAK section " + section + " out of order or range");
      }
      p.getBytes(at + 4, bits);
      BitSet missing = BitSet.valueOf(bits);
      if (missing.isEmpty()) {
        throw DecodeException.field("NAK section " + section + " lists no block");
      }
      sections.add(new Section(section, missing));
      previous = section;
    }
    return new Nak(pass, bitmapBytes, sections);
  }
}
