package io.osdeploy.daemon.pxe;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.io.IOException;
import java.net.InetSocketAddress;

/** Binds the small UDP services of the PXE path; their traffic is a few packets per machine. */
final class UdpTransport {
  private UdpTransport() {}

  static EventLoopGroup group(int threads) {
    return new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
  }

  static Channel bind(
      EventLoopGroup group, String host, int port, boolean broadcast, ChannelHandler handler)
      throws IOException, InterruptedException {
    ChannelFuture binding = bindLater(group, host, port, broadcast, handler).await();
    if (!binding.isSuccess()) {
      throw new IOException("cannot bind UDP " + host + ":" + port, binding.cause());
    }
    return binding.channel();
  }

  /** Binds without waiting: the only way from inside an event loop. */
  static ChannelFuture bindLater(
      EventLoopGroup group, String host, int port, boolean broadcast, ChannelHandler handler) {
    return new Bootstrap()
        .group(group)
        .channel(NioDatagramChannel.class)
        .option(ChannelOption.SO_BROADCAST, broadcast)
        .option(ChannelOption.SO_REUSEADDR, port != 0)
        .handler(handler)
        .bind(new InetSocketAddress(host, port));
  }
}
