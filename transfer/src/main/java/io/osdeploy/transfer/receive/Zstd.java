package io.osdeploy.transfer.receive;

import io.airlift.compress.zstd.ZstdInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Decompresses a Zstandard stream into a file or device at a position, in large writes, hashing
 * what it writes: the SHA-256 of the image as it lands is the one that counts.
 */
final class Zstd {
  /** Bytes per write: large enough that a disk sees few, small enough to stay in memory. */
  static final int WRITE = 1 << 20;

  /** What was written. */
  record Written(long bytes, String sha256) {}

  private Zstd() {}

  /**
   * Decompresses {@code compressed} into {@code out} from {@code position}, adding each write to
   * {@code progress}; fails when the output would pass {@code limit} bytes (a stream that expands
   * beyond what its image says it is must not overwrite what follows the image).
   */
  static Written expand(
      InputStream compressed, FileChannel out, long position, long limit, AtomicLong progress)
      throws IOException {
    MessageDigest sha = io.osdeploy.digest.Sha256.newDigest();
    byte[] buffer = new byte[WRITE];
    long written = 0;
    try (InputStream in = new ZstdInputStream(compressed)) {
      while (true) {
        int filled = 0;
        int n;
        while (filled < buffer.length
            && (n = in.read(buffer, filled, buffer.length - filled)) > 0) {
          filled += n;
        }
        if (filled == 0) {
          break;
        }
        if (written + filled > limit) {
          throw new IOException(
              "the compressed image expands beyond the " + limit + " bytes it is said to have");
        }
        sha.update(buffer, 0, filled);
        ByteBuffer b = ByteBuffer.wrap(buffer, 0, filled);
        while (b.hasRemaining()) {
          out.write(b, position + written + b.position());
        }
        written += filled;
        progress.addAndGet(filled);
      }
    } catch (RuntimeException e) {
      // The decoder reports a corrupt stream with unchecked exceptions.
      throw new IOException("not a valid Zstandard stream: " + e.getMessage(), e);
    }
    return new Written(written, HexFormat.of().formatHex(sha.digest()));
  }

  /** {@code length} bytes of {@code in} from {@code position}, read in large positioned reads. */
  static InputStream region(FileChannel in, long position, long length) {
    return new InputStream() {
      private final ByteBuffer buffer = ByteBuffer.allocate(WRITE).flip();
      private long next = position;
      private final long end = position + length;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (!buffer.hasRemaining()) {
          if (next >= end) {
            return -1;
          }
          buffer.clear().limit((int) Math.min(buffer.capacity(), end - next));
          while (buffer.hasRemaining()) {
            int n = in.read(buffer, next + buffer.position());
            if (n < 0) {
              throw new IOException(
                  "the staged image ends early, at " + (next + buffer.position()));
            }
          }
          next += buffer.flip().remaining();
        }
        int n = Math.min(len, buffer.remaining());
        buffer.get(b, off, n);
        return n;
      }
    };
  }
}
