package io.osdeploy.transfer.wire;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;

/**
 * The digest of every section of an image (SHA-256 of the section's bytes, first {@link
 * WireFormat#SECTION_DIGEST_BYTES} bytes), which the join ticket hands each receiver. A receiver
 * checks each section against it as soon as it holds the section's blocks, so a joined receiver
 * that forges DATA or PARITY with the shared key poisons nothing: the section is dropped and asked
 * for again. Sixteen bytes of SHA-256 leave a forger 2^128 work for a second preimage. A 40 GiB
 * image at the default 358,400-byte sections has about 120,000 sections: 1.9 MB of digests. Not
 * thread-safe (one digest instance).
 */
public final class SectionDigests {
  private final long imageSize;
  private final int sectionBytes;
  private final byte[] digests;

  private SectionDigests(long imageSize, int sectionBytes, byte[] digests) {
    this.imageSize = imageSize;
    this.sectionBytes = sectionBytes;
    this.digests = digests;
  }

  /** Reads {@code size} bytes of {@code file} and digests each section. */
  public static SectionDigests compute(Path file, long size, int blockSize, int blocksPerSection)
      throws IOException {
    int sectionBytes = sectionBytes(blockSize, blocksPerSection);
    int count = count(size, sectionBytes);
    byte[] digests = new byte[count * WireFormat.SECTION_DIGEST_BYTES];
    MessageDigest sha = io.osdeploy.digest.Sha256.newDigest();
    ByteBuffer buffer = ByteBuffer.allocate(sectionBytes);
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      for (int s = 0; s < count; s++) {
        long position = (long) s * sectionBytes;
        buffer.clear().limit((int) Math.min(sectionBytes, size - position));
        while (buffer.hasRemaining()) {
          if (in.read(buffer, position + buffer.position()) < 0) {
            throw new IOException(file + " is shorter than " + size + " bytes");
          }
        }
        buffer.flip();
        sha.update(buffer);
        System.arraycopy(
            sha.digest(),
            0,
            digests,
            s * WireFormat.SECTION_DIGEST_BYTES,
            WireFormat.SECTION_DIGEST_BYTES);
      }
    }
    return new SectionDigests(size, sectionBytes, digests);
  }

  /**
   * The digests as a ticket carries them (base64), checked against the image's geometry; throws
   * naming the field when they do not fit it.
   */
  public static SectionDigests decode(
      String base64, long imageSize, int blockSize, int blocksPerSection) {
    int sectionBytes = sectionBytes(blockSize, blocksPerSection);
    byte[] digests;
    try {
      digests = Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException("sectionDigests: not base64", e);
    }
    long expected = (long) count(imageSize, sectionBytes) * WireFormat.SECTION_DIGEST_BYTES;
    if (digests.length != expected) {
      throw new IllegalArgumentException(
          "sectionDigests: "
              + digests.length
              + " bytes where an image of "
              + imageSize
              + " bytes in sections of "
              + sectionBytes
              + " needs "
              + expected);
    }
    return new SectionDigests(imageSize, sectionBytes, digests);
  }

  /** The digests as a ticket carries them. */
  public String encoded() {
    return Base64.getEncoder().encodeToString(digests);
  }

  public int count() {
    return digests.length / WireFormat.SECTION_DIGEST_BYTES;
  }

  public int sectionBytes() {
    return sectionBytes;
  }

  /** Whether these digests describe an image of {@code announce}'s size and sections. */
  public boolean fits(Announce announce) {
    return announce.fileSize() == imageSize
        && (long) announce.blockSize() * announce.blocksPerSection() == sectionBytes
        && announce.sectionCount() == count();
  }

  /** Whether {@code bytes} (read to its limit) are section {@code section}'s. */
  public boolean matches(int section, ByteBuffer bytes) {
    if (section < 0 || section >= count()) {
      return false;
    }
    MessageDigest sha256 = io.osdeploy.digest.Sha256.newDigest();
    sha256.update(bytes);
    byte[] actual = sha256.digest();
    int from = section * WireFormat.SECTION_DIGEST_BYTES;
    return MessageDigest.isEqual(
        Arrays.copyOf(actual, WireFormat.SECTION_DIGEST_BYTES),
        Arrays.copyOfRange(digests, from, from + WireFormat.SECTION_DIGEST_BYTES));
  }

  private static int sectionBytes(int blockSize, int blocksPerSection) {
    if (blockSize < 1 || blockSize > WireFormat.MAX_BLOCK_SIZE) {
      throw new IllegalArgumentException("blockSize " + blockSize);
    }
    if (blocksPerSection < WireFormat.MIN_BLOCKS_PER_SECTION
        || blocksPerSection > WireFormat.MAX_BLOCKS_PER_SECTION) {
      throw new IllegalArgumentException("blocksPerSection " + blocksPerSection);
    }
    return blockSize * blocksPerSection;
  }

  private static int count(long size, int sectionBytes) {
    long count = (size + sectionBytes - 1) / sectionBytes;
    if (size <= 0 || count > WireFormat.MAX_SECTIONS) {
      throw new IllegalArgumentException("an image of " + size + " bytes");
    }
    return (int) count;
  }
}
