package io.osdeploy.daemon.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's HTTP endpoint: health and readiness for the kubelet's probes, the node's status, and
 * the verified content for machines on the site. Native epoll on Linux (sendfile for content), NIO
 * elsewhere.
 */
public final class DaemonHttpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DaemonHttpServer.class);

  /** Requests carry no body worth the name; a larger one is refused. */
  private static final int MAX_REQUEST_BYTES = 16 * 1024;

  private final boolean epoll = Epoll.isAvailable();
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final DaemonHttpHandler handler;
  private final HttpEndpoints endpoints;
  private final ConnectionLimits limits;
  private Channel channel;
  private Channel tlsChannel;
  private volatile SslContext tls;

  public DaemonHttpServer(HttpEndpoints endpoints) {
    this(endpoints, ConnectionLimits.Limits.DEFAULT);
  }

  DaemonHttpServer(HttpEndpoints endpoints, ConnectionLimits.Limits limits) {
    this.limits = new ConnectionLimits(limits);
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    this.boss = new MultiThreadIoEventLoopGroup(1, io);
    this.workers = new MultiThreadIoEventLoopGroup(io);
    this.handler = new DaemonHttpHandler(endpoints);
    this.endpoints = endpoints;
  }

  /**
   * Listens on {@code host:port} (port 0: any free port). Called again with another address, it
   * moves there: the new socket is bound before the old one closes.
   */
  public synchronized InetSocketAddress listen(String host, int port)
      throws IOException, InterruptedException {
    Channel previous = channel;
    channel = rebind(channel, host, port, false);
    InetSocketAddress bound = address();
    if (channel != previous) {
      log.info(
          "HTTP listening on {}:{} ({})",
          bound.getHostString(),
          bound.getPort(),
          epoll ? "epoll" : "nio");
    }
    return bound;
  }

  /**
   * Serves the same endpoints over TLS on {@code host:port} too, with {@code context}; called again
   * with another port it moves, with only another context it keeps the socket and new connections
   * get the new context (a renewed certificate).
   */
  public synchronized InetSocketAddress listenTls(String host, int port, SslContext context)
      throws IOException, InterruptedException {
    tls = context;
    Channel previous = tlsChannel;
    tlsChannel = rebind(tlsChannel, host, port, true);
    InetSocketAddress bound = tlsAddress();
    if (tlsChannel != previous) {
      log.info("HTTPS listening on {}:{}", bound.getHostString(), bound.getPort());
    }
    return bound;
  }

  /** Stops serving TLS; plain HTTP goes on. */
  public synchronized void closeTls() {
    if (tlsChannel != null) {
      tlsChannel.close().syncUninterruptibly();
      tlsChannel = null;
      log.info("HTTPS stopped");
    }
  }

  /** The TLS listener's address, or null when there is none. */
  public synchronized InetSocketAddress tlsAddress() {
    return tlsChannel == null ? null : (InetSocketAddress) tlsChannel.localAddress();
  }

  /**
   * {@code current} when it is on {@code port} already; else a new socket, bound before {@code
   * current} closes, so that the endpoint never goes away while it moves.
   */
  private Channel rebind(Channel current, String host, int port, boolean secure)
      throws IOException, InterruptedException {
    if (current != null
        && port != 0
        && port == ((InetSocketAddress) current.localAddress()).getPort()) {
      return current;
    }
    Channel next = bind(host, port, secure);
    if (current != null) {
      current.close().sync();
    }
    return next;
  }

  private Channel bind(String host, int port, boolean secure)
      throws IOException, InterruptedException {
    Class<? extends ServerChannel> type =
        epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    ChannelFuture binding =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(type)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childHandler(
                new ChannelInitializer<>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    long idle = limits.limits().idle().toMillis();
                    ch.pipeline()
                        // Output progress counts as activity: a zero-copy download is one
                        // write that may take many minutes.
                        .addLast(new IdleStateHandler(true, 0, 0, idle, TimeUnit.MILLISECONDS))
                        .addLast(limits);
                    if (secure) {
                      ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                    }
                    ch.pipeline().addLast(new HttpServerCodec());
                    if (endpoints.requestTimes() != null) {
                      ch.pipeline().addLast(new RequestTimer(endpoints.requestTimes()));
                    }
                    // Every handler after this one may answer with a chunked input (a file over
                    // TLS): the user-state handler as much as the main one.
                    ch.pipeline().addLast(new ChunkedWriteHandler());
                    if (endpoints.userState() != null) {
                      // Before the aggregator: user state archives stream to disk.
                      ch.pipeline()
                          .addLast(
                              new UserStateHandler(
                                  endpoints.userState(),
                                  endpoints.access(),
                                  endpoints.tlsRequired()));
                    }
                    HttpEndpoints.Captures captures = endpoints.captures();
                    if (captures != null) {
                      // Before the aggregator too: a capture is a whole disk.
                      ch.pipeline()
                          .addLast(
                              new CaptureHandler(
                                  captures.store(),
                                  endpoints.access(),
                                  endpoints.tlsRequired(),
                                  captures.baseUrl(),
                                  captures.node()));
                    }
                    ch.pipeline()
                        .addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES))
                        .addLast(handler);
                  }
                })
            .bind(host, port)
            .await();
    if (!binding.isSuccess()) {
      throw new IOException(
          "cannot listen on " + host + ":" + port + (secure ? " (HTTPS)" : ""), binding.cause());
    }
    return binding.channel();
  }

  /** Connections open, and those the limits refused or closed (for {@code /metrics}). */
  public ConnectionLimits.Counts connections() {
    return limits.counts();
  }

  /** The address actually bound, with the real port when 0 was asked for. */
  public synchronized InetSocketAddress address() {
    if (channel == null) {
      throw new IllegalStateException("not listening");
    }
    return (InetSocketAddress) channel.localAddress();
  }

  @Override
  public synchronized void close() {
    if (channel != null) {
      channel.close().syncUninterruptibly();
    }
    closeTls();
    // The listening socket is closed already; a short quiet period lets replies in flight finish.
    boss.shutdownGracefully(100, 5_000, TimeUnit.MILLISECONDS);
    workers.shutdownGracefully(100, 5_000, TimeUnit.MILLISECONDS).syncUninterruptibly();
  }
}
