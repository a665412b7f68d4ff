package io.osdeploy.daemon.pxe;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One read transfer on its own ephemeral port (the server's transfer id): sends the OACK or the
 * first window, moves on with each ACK, sends the window again when no ACK comes in time, and gives
 * up after the configured retries. Runs on one event loop, so it needs no locks.
 */
final class TftpTransfer extends SimpleChannelInboundHandler<DatagramPacket> {
  private static final Logger log = LoggerFactory.getLogger(TftpTransfer.class);

  private final String filename;
  private final byte[] content;
  private final InetSocketAddress client;
  private final TftpNegotiation terms;
  private final int retries;
  private final TftpCounters counters;

  /** Blocks in the file; the last one is shorter than a block, possibly empty. */
  private final long blocks;

  /** Blocks the client has acknowledged in order; 0 before the first DATA. */
  private long acked;

  /** True once the client took the OACK (ACK 0), or at once when there is no OACK. */
  private boolean optionsAcked;

  private int attempts;
  private boolean done;
  private ScheduledFuture<?> timer;
  private ChannelHandlerContext ctx;

  TftpTransfer(
      String filename,
      byte[] content,
      InetSocketAddress client,
      TftpNegotiation terms,
      int retries,
      TftpCounters counters) {
    this.filename = filename;
    this.content = content;
    this.client = client;
    this.terms = terms;
    this.retries = retries;
    this.counters = counters;
    this.blocks = content.length / terms.blockSize() + 1;
    this.optionsAcked = terms.acknowledged().isEmpty();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    counters.started.increment();
    sendCurrent(false);
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket datagram) {
    if (done) {
      return;
    }
    if (!datagram.sender().equals(client)) {
      // RFC 1350: a packet from another port is answered, and the transfer goes on.
      send(
          new TftpPacket.Error(TftpPacket.Error.UNKNOWN_TID, "unknown transfer id"),
          datagram.sender());
      return;
    }
    TftpPacket packet;
    try {
      packet = TftpPacket.decode(ByteBufUtil.getBytes(datagram.content()), 516);
    } catch (MalformedPacketException e) {
      counters.malformed.increment();
      fail(
          new TftpPacket.Error(TftpPacket.Error.ILLEGAL_OPERATION, e.getMessage()), e.getMessage());
      return;
    }
    if (packet instanceof TftpPacket.Ack ack) {
      acknowledged(ack.block());
    } else if (packet instanceof TftpPacket.Error error) {
      // PXE ROMs ask for tsize and end the transfer at once with an error; not a failure of ours.
      log.debug(
          "tftp {} to {}: client ended it: {} {}", filename, client, error.code(), error.message());
      finish();
    } else {
      counters.malformed.increment();
      fail(
          new TftpPacket.Error(TftpPacket.Error.ILLEGAL_OPERATION, "only ACK is expected here"),
          "client sent " + packet.getClass().getSimpleName());
    }
  }

  private void acknowledged(int block) {
    if (!optionsAcked) {
      if (block == 0) {
        optionsAcked = true;
        attempts = 0;
        sendCurrent(false);
      }
      return;
    }
    long sent = Math.min(acked + terms.windowSize(), blocks);
    // Block numbers wrap at 65536; find the one in flight that this ACK names.
    long n = -1;
    for (long candidate = acked; candidate <= sent; candidate++) {
      if ((candidate & 0xffff) == block) {
        n = candidate;
      }
    }
    if (n <= acked) {
      // A duplicate or stale ACK: answering it would double the traffic (Sorcerer's Apprentice).
      return;
    }
    acked = n;
    attempts = 0;
    if (acked == blocks) {
      counters.completed.increment();
      log.info("tftp: sent {} ({} bytes) to {}", filename, content.length, client);
      finish();
      return;
    }
    sendCurrent(false);
  }

  /** Sends the OACK (nothing acknowledged yet) or the window after the last acknowledged block. */
  private void sendCurrent(boolean again) {
    if (again) {
      counters.retransmissions.increment();
    }
    if (!optionsAcked) {
      send(new TftpPacket.OptionAck(terms.acknowledged()), client);
    } else {
      long last = Math.min(acked + terms.windowSize(), blocks);
      for (long b = acked + 1; b <= last; b++) {
        int from = (int) Math.min((b - 1) * terms.blockSize(), content.length);
        int to = (int) Math.min(b * terms.blockSize(), content.length);
        send(
            new TftpPacket.Data((int) (b & 0xffff), Arrays.copyOfRange(content, from, to)), client);
        counters.bytesSent.add(to - from);
      }
    }
    ctx.flush();
    armTimer();
  }

  private void armTimer() {
    if (timer != null) {
      timer.cancel(false);
    }
    timer =
        ctx.executor().schedule(this::timedOut, terms.timeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  private void timedOut() {
    if (done) {
      return;
    }
    if (++attempts > retries) {
      fail(
          new TftpPacket.Error(TftpPacket.Error.NOT_DEFINED, "timed out"),
          "no ACK after " + retries + " retries at block " + acked);
      return;
    }
    sendCurrent(true);
  }

  private void fail(TftpPacket.Error error, String why) {
    counters.failed.increment();
    log.warn("tftp {} to {}: transfer failed: {}", filename, client, why);
    send(error, client);
    ctx.flush();
    finish();
  }

  private void finish() {
    done = true;
    if (timer != null) {
      timer.cancel(false);
    }
    ctx.channel().close();
  }

  private void send(TftpPacket packet, InetSocketAddress to) {
    ctx.write(new DatagramPacket(Unpooled.wrappedBuffer(packet.encode()), to));
    if (packet instanceof TftpPacket.Error) {
      ctx.flush();
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.warn("tftp {} to {}: error", filename, client, cause);
  }
}
