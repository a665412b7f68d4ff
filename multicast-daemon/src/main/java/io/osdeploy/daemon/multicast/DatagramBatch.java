package io.osdeploy.daemon.multicast;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.osdeploy.transfer.net.DatagramTransport;
import io.osdeploy.transfer.wire.Message;
import io.osdeploy.transfer.wire.SessionCodec;
import io.osdeploy.transfer.wire.WireFormat;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The send loop's way onto the wire: datagrams encoded back to back into one buffer and handed to
 * the channel's event loop {@link DatagramTransport#BATCH} at a time, as one UDP GSO write (the
 * kernel cuts the buffer into equal datagrams) where the transport allows it and one sendmmsg or a
 * run of sends otherwise. Paced per batch through the token bucket; at most two batches are queued
 * behind the socket, so a slow link holds the loop back instead of filling memory. Used by the send
 * loop's thread only.
 */
final class DatagramBatch {
  private static final int CAPACITY = DatagramTransport.BATCH * DatagramTransport.MAX_DATAGRAM;

  private final Channel channel;
  private final InetSocketAddress group;
  private final SessionCodec codec;
  private final TokenBucket bucket;
  private final boolean segmented = DatagramTransport.segmentedSend();

  private ByteBuf buf;
  private int batchStart;
  private int segment;
  private int count;
  private int wireBytes;
  private ChannelPromise inFlight;

  DatagramBatch(Channel channel, InetSocketAddress group, SessionCodec codec, TokenBucket bucket) {
    this.channel = channel;
    this.group = group;
    this.codec = codec;
    this.bucket = bucket;
  }

  /** The most bytes on the wire one batch takes, for the token bucket's burst. */
  static int maxWireBytes() {
    return DatagramTransport.BATCH * (DatagramTransport.MAX_DATAGRAM + WireFormat.IP_UDP_OVERHEAD);
  }

  /**
   * Encodes DATA or PARITY into the batch, sending the batch when it is full or when this datagram
   * cannot share its write. Returns the datagram's bytes on the wire.
   */
  int add(Message message) throws InterruptedException {
    if (buf == null) {
      buf = channel.alloc().directBuffer(CAPACITY);
      batchStart = 0;
    }
    int start = buf.writerIndex();
    int length = codec.encodeInto(buf, message);
    if (count > 0 && length > segment) {
      // Only the last datagram of one write may be shorter; a longer one starts the next write.
      send(start);
      batchStart = start;
    }
    if (count == 0) {
      segment = length;
    }
    count++;
    wireBytes += length + WireFormat.IP_UDP_OVERHEAD;
    if (length < segment
        || count == DatagramTransport.BATCH
        || buf.writableBytes() < DatagramTransport.MAX_DATAGRAM) {
      flush();
    }
    return length + WireFormat.IP_UDP_OVERHEAD;
  }

  /** Sends what the batch holds, then {@code datagram} (a signed control message) on its own. */
  void addAlone(ByteBuf datagram) throws InterruptedException {
    flush();
    wireBytes = datagram.readableBytes() + WireFormat.IP_UDP_OVERHEAD;
    submit(List.of(new DatagramPacket(datagram, group)));
  }

  /** Sends what the batch holds. */
  void flush() throws InterruptedException {
    if (buf == null) {
      return;
    }
    send(buf.writerIndex());
    buf.release();
    buf = null;
  }

  /** Drops what the batch holds without sending it: the session ended. */
  void discard() {
    if (buf != null) {
      buf.release();
      buf = null;
      count = 0;
      wireBytes = 0;
    }
  }

  /** Sends the batch's datagrams, which end at {@code end} of the buffer. */
  private void send(int end) throws InterruptedException {
    if (count == 0) {
      return;
    }
    List<DatagramPacket> packets = new ArrayList<>(segmented ? 1 : count);
    if (segmented && count > 1) {
      packets.add(
          new SegmentedDatagramPacket(
              buf.retainedSlice(batchStart, end - batchStart), segment, group));
    } else {
      for (int at = batchStart; at < end; at += segment) {
        packets.add(new DatagramPacket(buf.retainedSlice(at, Math.min(segment, end - at)), group));
      }
    }
    count = 0;
    submit(packets);
  }

  /** Paces, then hands {@code packets} to the event loop as one task and one flush. */
  private void submit(List<DatagramPacket> packets) throws InterruptedException {
    bucket.acquire(wireBytes);
    wireBytes = 0;
    ChannelPromise done = channel.newPromise();
    try {
      channel
          .eventLoop()
          .execute(
              () -> {
                for (int i = 0; i < packets.size() - 1; i++) {
                  channel.write(packets.get(i), channel.voidPromise());
                }
                channel.writeAndFlush(packets.get(packets.size() - 1), done);
              });
    } catch (RuntimeException e) {
      packets.forEach(DatagramPacket::release); // the loop is shut down: the session is closing
      throw e;
    }
    ChannelPromise previous = inFlight;
    inFlight = done;
    if (previous != null) {
      previous.await();
    }
  }
}
