package io.osdeploy.transfer.wire;

import io.netty.buffer.ByteBuf;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** ANNOUNCE: the session's parameters, repeated so late joiners learn them. */
public record Announce(
    long fileSize,
    int blockSize,
    int blocksPerSection,
    long sectionCount,
    int fecGroupBlocks,
    long rateKbps,
    byte[] sha256,
    String imageName)
    implements Message {
  public static final int FIXED_BYTES = 55;

  public Announce {
    sha256 = sha256.clone();
  }

  /** Parameters for a file of {@code fileSize} bytes without FEC. */
  public static Announce of(
      long fileSize,
      int blockSize,
      int blocksPerSection,
      long rateKbps,
      byte[] sha256,
      String imageName) {
    return of(fileSize, blockSize, blocksPerSection, 0, rateKbps, sha256, imageName);
  }

  /** Parameters for a file of {@code fileSize} bytes, with the section count it implies. */
  public static Announce of(
      long fileSize,
      int blockSize,
      int blocksPerSection,
      int fecGroupBlocks,
      long rateKbps,
      byte[] sha256,
      String imageName) {
    long blocks = ceilDiv(fileSize, blockSize);
    return new Announce(
        fileSize,
        blockSize,
        blocksPerSection,
        ceilDiv(blocks, blocksPerSection),
        fecGroupBlocks,
        rateKbps,
        sha256,
        imageName);
  }

  /** Number of FEC groups (0 without FEC); group q holds blocks q*g .. q*g+g-1. */
  public long groupCount() {
    return fecGroupBlocks == 0 ? 0 : ceilDiv(blockCount(), fecGroupBlocks);
  }

  public long blockCount() {
    return ceilDiv(fileSize, blockSize);
  }

  /** Bytes in block {@code index}: the block size, except for the last block. */
  public int blockLength(long index) {
    long offset = index * blockSize;
    return (int) Math.min(blockSize, fileSize - offset);
  }

  @Override
  public byte[] sha256() {
    return sha256.clone();
  }

  @Override
  public MessageType type() {
    return MessageType.ANNOUNCE;
  }

  @Override
  public void encode(ByteBuf out) {
    byte[] name = imageName.getBytes(StandardCharsets.UTF_8);
    if (name.length > WireFormat.MAX_NAME_BYTES || sha256.length != 32) {
      throw new IllegalArgumentException("image name or digest out of range");
    }
    out.writeLong(fileSize)
        .writeShort(blockSize)
        .writeShort(blocksPerSection)
        .writeInt((int) sectionCount)
        .writeShort(fecGroupBlocks)
        .writeInt((int) rateKbps)
        .writeBytes(sha256)
        .writeByte(name.length)
        .writeBytes(name);
  }

  public static Announce decode(ByteBuf p) throws DecodeException {
    Message.requireAtLeast(p, FIXED_BYTES, "ANNOUNCE");
    int i = p.readerIndex();
    long fileSize = p.getLong(i);
    int blockSize = p.getUnsignedShort(i + 8);
    int blocksPerSection = p.getUnsignedShort(i + 10);
    long sectionCount = p.getUnsignedInt(i + 12);
    int fecGroup = p.getUnsignedShort(i + 16);
    long rate = p.getUnsignedInt(i + 18);
    byte[] sha = new byte[32];
    p.getBytes(i + 22, sha);
    int nameLength = p.getUnsignedByte(i + 54);
    Message.requireLength(p, FIXED_BYTES + nameLength, "ANNOUNCE");
    if (blockSize < 1 || blockSize > WireFormat.MAX_BLOCK_SIZE) {
      throw DecodeException.field("block size " + blockSize);
    }
    if (blocksPerSection < WireFormat.MIN_BLOCKS_PER_SECTION
        || blocksPerSection > WireFormat.MAX_BLOCKS_PER_SECTION
        || blocksPerSection % 8 != 0) {
      throw DecodeException.field("blocks per section " + blocksPerSection);
    }
    // Block sets are java.util.BitSets, indexed by int.
    if (fileSize <= 0 || ceilDiv(fileSize, blockSize) > Integer.MAX_VALUE) {
      throw DecodeException.field("file size " + fileSize);
    }
    if (sectionCount != ceilDiv(ceilDiv(fileSize, blockSize), blocksPerSection)
        || sectionCount > WireFormat.MAX_SECTIONS) {
      throw DecodeException.field("section count " + sectionCount);
    }
    if (fecGroup > ParityCode.MAX_GROUP_BLOCKS
        || (fecGroup > 0 && blocksPerSection % fecGroup != 0)) {
      throw DecodeException.field("FEC group of " + fecGroup + " blocks");
    }
    byte[] nameBytes = new byte[nameLength];
    p.getBytes(i + FIXED_BYTES, nameBytes);
    String name;
    try {
      name =
          StandardCharsets.UTF_8
              .newDecoder()
              .decode(java.nio.ByteBuffer.wrap(nameBytes))
              .toString();
    } catch (CharacterCodingException e) {
      throw DecodeException.field("image name is not UTF-8");
    }
    return new Announce(
        fileSize, blockSize, blocksPerSection, sectionCount, fecGroup, rate, sha, name);
  }

  public static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Announce a
        && a.fileSize == fileSize
        && a.blockSize == blockSize
        && a.blocksPerSection == blocksPerSection
        && a.sectionCount == sectionCount
        && a.fecGroupBlocks == fecGroupBlocks
        && a.rateKbps == rateKbps
        && Arrays.equals(a.sha256, sha256)
        && a.imageName.equals(imageName);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(fileSize) * 31 + Arrays.hashCode(sha256);
  }
}
