package io.osdeploy.transfer.net;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;

/**
 * The datagram transport of multicast senders and receivers: Netty's native epoll where the
 * platform has it, which receives up to {@link #BATCH} datagrams per system call (recvmmsg), sends
 * a batch per call (sendmmsg) and lets the kernel cut one buffer into equal datagrams (UDP GSO);
 * NIO, one datagram per system call, elsewhere. {@code -Dosdeploy.datagrams=nio} forces NIO, to
 * compare the two.
 */
public final class DatagramTransport {
  /** Datagrams received or sent per system call, at most. */
  public static final int BATCH = 32;

  /** Room for one datagram of any size the wire format allows, on a 1500-byte MTU. */
  public static final int MAX_DATAGRAM = 1500;

  private static final boolean EPOLL =
      !"nio".equals(System.getProperty("osdeploy.datagrams")) && Epoll.isAvailable();

  private DatagramTransport() {}

  /** True when the native epoll transport is in use. */
  public static boolean epoll() {
    return EPOLL;
  }

  /** The name logged at start: {@code epoll} or {@code nio}. */
  public static String name() {
    return EPOLL ? "epoll" : "nio";
  }

  public static IoHandlerFactory ioHandlerFactory() {
    return EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
  }

  /** An IPv4 datagram channel of the transport in use. */
  public static DatagramChannel newChannel() {
    return EPOLL
        ? new EpollDatagramChannel(SocketProtocolFamily.INET)
        : new NioDatagramChannel(SocketProtocolFamily.INET);
  }

  /**
   * Makes {@code bootstrap}'s channel read datagrams in batches: with epoll, each read hands the
   * pipeline up to {@link #BATCH} datagrams taken with one recvmmsg, each a slice of one buffer.
   */
  public static Bootstrap batchedReceive(Bootstrap bootstrap) {
    if (EPOLL) {
      bootstrap
          .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_DATAGRAM)
          .option(
              ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM * BATCH));
    }
    return bootstrap;
  }

  /** True when one write may carry a buffer the kernel cuts into equal datagrams (UDP GSO). */
  public static boolean segmentedSend() {
    return EPOLL && EpollDatagramChannel.isSegmentedDatagramPacketSupported();
  }
}
