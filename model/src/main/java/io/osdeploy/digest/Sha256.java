package io.osdeploy.digest;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of files and of byte ranges of files (an image written at an offset of a disk). */
public final class Sha256 {
  private Sha256() {}

  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /** Lower-case hex SHA-256 of the whole file. */
  public static String of(Path file) throws IOException {
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      return of(in, 0, Long.MAX_VALUE);
    }
  }

  /**
   * Lower-case hex SHA-256 of {@code length} bytes from {@code offset}, or up to the end when
   * {@code length} is {@code Long.MAX_VALUE}. A shorter channel is an {@link EOFException}: a
   * region that is not all there has no digest.
   */
  public static String of(FileChannel in, long offset, long length) throws IOException {
    MessageDigest digest = newDigest();
    ByteBuffer buf = ByteBuffer.allocate(1 << 16);
    long position = offset;
    long remaining = length;
    while (remaining > 0) {
      buf.clear();
      if (remaining < buf.capacity()) {
        buf.limit((int) remaining);
      }
      int n = in.read(buf, position);
      if (n < 0) {
        if (length == Long.MAX_VALUE) {
          break;
        }
        throw new EOFException(
            "ends " + remaining + " bytes before the end of the region at " + offset);
      }
      position += n;
      remaining -= n;
      buf.flip();
      digest.update(buf);
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
