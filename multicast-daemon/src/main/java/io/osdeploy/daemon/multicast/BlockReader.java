package io.osdeploy.daemon.multicast;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.osdeploy.transfer.wire.Announce;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Reads an image's blocks a window at a time: the block asked for and the ones after it in one
 * positioned read, so that a pass, which mostly asks in order, makes one system call per window
 * instead of one per block. Used by the send loop's thread only.
 */
final class BlockReader implements AutoCloseable {
  private final FileChannel file;
  private final Path path;
  private final Announce announce;
  private final ByteBuf window;
  private final int windowBlocks;
  private long first = -1;
  private int loaded;

  BlockReader(FileChannel file, Path path, Announce announce, int windowBlocks) {
    this.file = file;
    this.path = path;
    this.announce = announce;
    this.windowBlocks = windowBlocks;
    this.window = Unpooled.directBuffer(windowBlocks * announce.blockSize());
  }

  /** Block {@code index}'s bytes: a slice that stays valid until the next call. */
  ByteBuf block(long index) throws IOException {
    if (first < 0 || index < first || index >= first + loaded) {
      load(index);
    }
    int at = (int) ((index - first) * announce.blockSize());
    return window.slice(at, announce.blockLength(index));
  }

  private void load(long index) throws IOException {
    int blocks = (int) Math.min(windowBlocks, announce.blockCount() - index);
    long position = index * announce.blockSize();
    int length =
        (int) Math.min((long) blocks * announce.blockSize(), announce.fileSize() - position);
    window.clear();
    while (window.writerIndex() < length) {
      int n =
          window.writeBytes(file, position + window.writerIndex(), length - window.writerIndex());
      if (n < 0) {
        throw new IOException(path + " shrank while being sent");
      }
    }
    first = index;
    loaded = blocks;
  }

  /** Frees the window's memory. */
  @Override
  public void close() {
    window.release();
  }
}
