package io.osdeploy.transfer.receive;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.osdeploy.digest.Sha256;
import io.osdeploy.transfer.wire.Announce;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * Where a multicast receiver keeps an image's blocks. A section being received is assembled in
 * memory, checked against its digest there and written with one positioned write once whole, so
 * that a pass without loss costs one write per section rather than one per block and never reads
 * back. At most {@link #MEMORY_BYTES} of sections are held; the oldest incomplete one then goes to
 * the file as it is (its missing blocks come later, straight to the file) and is read back for its
 * check. The whole image's SHA-256 is computed in order from verified sections as they come, read
 * back from the file only for sections verified ahead of a gap. Used by one thread.
 */
final class SectionStore {
  /** Memory for sections being assembled, at most. */
  static final int MEMORY_BYTES = 12 << 20;

  private final FileChannel out;
  private final Path output;
  private final long offset;
  private final Announce announce;
  private final int sectionBytes;
  private final int maxInMemory;
  private final Map<Integer, ByteBuffer> inMemory = new HashMap<>();
  private final ArrayDeque<Integer> opened = new ArrayDeque<>();
  private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
  private final ByteBuffer scratch;
  private final BitSet verified = new BitSet();
  private final BitSet spilled = new BitSet();
  private final MessageDigest image = Sha256.newDigest();
  private int nextToHash;
  private long readBackBytes;

  SectionStore(FileChannel out, Path output, long offset, Announce announce, int sectionBytes) {
    this(out, output, offset, announce, sectionBytes, Math.max(2, MEMORY_BYTES / sectionBytes));
  }

  /** With at most {@code maxInMemory} sections in memory. */
  SectionStore(
      FileChannel out,
      Path output,
      long offset,
      Announce announce,
      int sectionBytes,
      int maxInMemory) {
    this.out = out;
    this.output = output;
    this.offset = offset;
    this.announce = announce;
    this.sectionBytes = sectionBytes;
    this.maxInMemory = maxInMemory;
    this.scratch = ByteBuffer.allocate(sectionBytes);
  }

  /** Writes block {@code block} ({@code bytes} not released). */
  void write(int block, ByteBuf bytes) throws IOException {
    int s = block / announce.blocksPerSection();
    ByteBuffer section = inMemory.get(s);
    if (section == null && !verified.get(s) && !onDisk(s)) {
      section = open(s);
    }
    int within = (block - s * announce.blocksPerSection()) * announce.blockSize();
    if (section != null) {
      bytes.getBytes(bytes.readerIndex(), section.array(), within, bytes.readableBytes());
      return;
    }
    writeFully(bytes.nioBuffer(), position(s) + within);
  }

  /** Writes block {@code block} from {@code bytes} (its whole array). */
  void write(int block, byte[] bytes, int length) throws IOException {
    write(block, Unpooled.wrappedBuffer(bytes, 0, length));
  }

  /** Reads block {@code block}, held earlier, into {@code dst}. */
  void read(int block, byte[] dst, int length) throws IOException {
    int s = block / announce.blocksPerSection();
    int within = (block - s * announce.blocksPerSection()) * announce.blockSize();
    ByteBuffer section = inMemory.get(s);
    if (section != null) {
      System.arraycopy(section.array(), within, dst, 0, length);
      return;
    }
    readFully(ByteBuffer.wrap(dst, 0, length), position(s) + within);
  }

  /**
   * Section {@code s}'s bytes, every block of it held: from memory, or read back from the file.
   * Valid until the next call.
   */
  ByteBuffer section(int s) throws IOException {
    int length = length(s);
    ByteBuffer section = inMemory.get(s);
    if (section != null) {
      return ByteBuffer.wrap(section.array(), 0, length);
    }
    scratch.clear().limit(length);
    readFully(scratch, position(s));
    readBackBytes += length;
    return scratch.flip();
  }

  /**
   * Section {@code s} matched its digest ({@code checked} being the bytes {@link #section} gave):
   * writes it out when it was in memory, and adds it to the image's digest when it is next in
   * order.
   */
  void verified(int s, ByteBuffer checked) throws IOException {
    verified.set(s);
    ByteBuffer section = inMemory.remove(s);
    if (section != null) {
      opened.remove(s);
      writeFully(ByteBuffer.wrap(section.array(), 0, length(s)), position(s));
    }
    if (s == nextToHash) {
      image.update(checked.duplicate().rewind());
      nextToHash++;
    }
    if (section != null) {
      free.push(section);
    }
    hashVerifiedInOrder();
  }

  /** Section {@code s} failed its digest: its bytes are forgotten, to be received again. */
  void dropped(int s) {
    ByteBuffer section = inMemory.remove(s);
    if (section != null) {
      opened.remove(s);
      free.push(section);
    }
  }

  /** The image's SHA-256, once every section is verified. */
  String imageSha256() throws IOException {
    hashVerifiedInOrder();
    if (nextToHash != announce.sectionCount()) {
      throw new IllegalStateException("section " + nextToHash + " is not verified");
    }
    return HexFormat.of().formatHex(image.digest());
  }

  /** Bytes read back from the file to check or hash sections: a measure of the loss's cost. */
  long readBackBytes() {
    return readBackBytes;
  }

  private void hashVerifiedInOrder() throws IOException {
    while (nextToHash < announce.sectionCount() && verified.get(nextToHash)) {
      image.update(section(nextToHash));
      nextToHash++;
    }
  }

  /** A section written to the file before it was whole: not in memory, not verified. */
  private boolean onDisk(int s) {
    return spilled.get(s);
  }

  private ByteBuffer open(int s) throws IOException {
    if (inMemory.size() >= maxInMemory) {
      spill(opened.removeFirst());
    }
    ByteBuffer section = free.isEmpty() ? ByteBuffer.allocate(sectionBytes) : free.pop();
    inMemory.put(s, section);
    opened.addLast(s);
    return section;
  }

  /** Writes the oldest incomplete section to the file as it is; its gaps are filled there. */
  private void spill(int s) throws IOException {
    ByteBuffer section = inMemory.remove(s);
    writeFully(ByteBuffer.wrap(section.array(), 0, length(s)), position(s));
    spilled.set(s);
    free.push(section);
  }

  private int length(int s) {
    return (int) Math.min(sectionBytes, announce.fileSize() - (long) s * sectionBytes);
  }

  private long position(int s) {
    return offset + (long) s * sectionBytes;
  }

  private void writeFully(ByteBuffer bytes, long position) throws IOException {
    while (bytes.hasRemaining()) {
      position += out.write(bytes, position);
    }
  }

  private void readFully(ByteBuffer dst, long position) throws IOException {
    while (dst.hasRemaining()) {
      if (out.read(dst, position + dst.position()) < 0) {
        throw new IOException(output + " is shorter than the blocks written to it");
      }
    }
  }
}
