package io.osdeploy.daemon.pxe;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A read-only TFTP service for the network boot programs (iPXE builds): serves only the
 * allow-listed names from one directory, each transfer from its own ephemeral port. Anything else
 * is answered with a TFTP ERROR, counted, and the service goes on.
 */
public final class TftpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TftpServer.class);

  public static final int PORT = 69;

  /** A request is a name, a mode and a few options; anything larger is not a request. */
  static final int MAX_REQUEST_LENGTH = 512;

  private final TftpSettings settings;
  private final EventLoopGroup group = UdpTransport.group(1);
  private final TftpCounters counters = new TftpCounters();
  private String host;
  private Channel channel;

  public TftpServer(TftpSettings settings) {
    this.settings = settings;
  }

  /** Listens on {@code host:port} (69 in production; 0 for any free port). */
  public synchronized InetSocketAddress start(String host, int port)
      throws IOException, InterruptedException {
    if (channel != null) {
      throw new IllegalStateException("already started");
    }
    this.host = host;
    channel = UdpTransport.bind(group, host, port, false, new RequestHandler());
    log.info("tftp: serving {} from {} on {}", settings.files(), settings.directory(), address());
    return address();
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  public TftpMetrics metrics() {
    return counters.snapshot();
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  @ChannelHandler.Sharable
  private final class RequestHandler extends SimpleChannelInboundHandler<DatagramPacket> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket datagram) {
      InetSocketAddress client = datagram.sender();
      TftpPacket packet;
      try {
        packet = TftpPacket.decode(ByteBufUtil.getBytes(datagram.content()), MAX_REQUEST_LENGTH);
      } catch (MalformedPacketException e) {
        counters.malformed.increment();
        refuse(ctx, client, TftpPacket.Error.ILLEGAL_OPERATION, e.getMessage());
        return;
      }
      if (!(packet instanceof TftpPacket.Request request)) {
        counters.malformed.increment();
        refuse(ctx, client, TftpPacket.Error.ILLEGAL_OPERATION, "only RRQ is served on this port");
        return;
      }
      if (request.write()) {
        counters.write.increment();
        refuse(ctx, client, TftpPacket.Error.ACCESS_VIOLATION, "read-only server");
        return;
      }
      read(ctx, client, request);
    }

    private void read(ChannelHandlerContext ctx, InetSocketAddress client, TftpPacket.Request rq) {
      // Some ROMs send "/name"; one leading slash is the root of what we serve.
      String name = rq.filename().startsWith("/") ? rq.filename().substring(1) : rq.filename();
      if (name.contains("/") || name.contains("\\") || name.contains("..")) {
        counters.traversal.increment();
        refuse(ctx, client, TftpPacket.Error.ACCESS_VIOLATION, "not a served file name");
        return;
      }
      Path file = settings.directory().resolve(name);
      if (!settings.files().contains(name) || !Files.isRegularFile(file)) {
        counters.notFound.increment();
        refuse(ctx, client, TftpPacket.Error.FILE_NOT_FOUND, "no such file: " + name);
        return;
      }
      if (!"octet".equals(rq.mode())) {
        counters.malformed.increment();
        refuse(ctx, client, TftpPacket.Error.ILLEGAL_OPERATION, "mode: only octet is served");
        return;
      }
      byte[] content;
      TftpNegotiation terms;
      try {
        long size = Files.size(file);
        if (size > settings.maxFileBytes()) {
          throw new IOException(size + " bytes is more than " + settings.maxFileBytes());
        }
        terms = TftpNegotiation.negotiate(rq.options(), size, settings);
        content = Files.readAllBytes(file);
      } catch (MalformedPacketException e) {
        counters.malformed.increment();
        refuse(ctx, client, TftpPacket.Error.OPTION_REFUSED, e.getMessage());
        return;
      } catch (IOException e) {
        counters.notFound.increment();
        log.warn("tftp: cannot read {}", file, e);
        refuse(ctx, client, TftpPacket.Error.FILE_NOT_FOUND, "cannot read " + name);
        return;
      }
      log.info("tftp: {} asks for {} with {}", client, name, rq.options());
      TftpTransfer transfer =
          new TftpTransfer(name, content, client, terms, settings.retries(), counters);
      UdpTransport.bindLater(group, host, 0, false, transfer)
          .addListener(
              f -> {
                if (!f.isSuccess()) {
                  counters.failed.increment();
                  log.warn("tftp: no port for a transfer to {}", client, f.cause());
                  refuse(ctx, client, TftpPacket.Error.NOT_DEFINED, "server busy");
                }
              });
    }

    private void refuse(ChannelHandlerContext ctx, InetSocketAddress client, int code, String why) {
      log.info("tftp: refused {}: {}", client, why);
      ctx.writeAndFlush(
          new DatagramPacket(
              Unpooled.wrappedBuffer(new TftpPacket.Error(code, why).encode()), client));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.warn("tftp: error on {}", ctx.channel().localAddress(), cause);
    }
  }
}
