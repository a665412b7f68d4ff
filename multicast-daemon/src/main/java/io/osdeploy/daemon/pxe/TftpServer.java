package io.osdeploy.daemon.pxe;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.osdeploy.text.LogText;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
  private final AtomicInteger transfers = new AtomicInteger();

  /**
   * The served files' bytes, read again when a file's size or time changes (allow-listed names
   * only).
   */
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

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

  /** Transfers under way now. */
  int transfers() {
    return transfers.get();
  }

  private record Cached(byte[] bytes, FileTime modified) {}

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
        refuse(ctx, client, TftpPacket.Error.FILE_NOT_FOUND, "no such file: " + LogText.of(name));
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
        content = cached(name, file);
        terms = TftpNegotiation.negotiate(rq.options(), content.length, settings);
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
      if (transfers.incrementAndGet() > settings.maxTransfers()) {
        transfers.decrementAndGet();
        counters.busy.increment();
        refuse(ctx, client, TftpPacket.Error.NOT_DEFINED, "server busy");
        return;
      }
      log.info("tftp: {} asks for {} with {}", client, name, LogText.of(rq.options()));
      TftpTransfer transfer =
          new TftpTransfer(name, content, client, terms, settings.retries(), counters);
      UdpTransport.bindLater(group, host, 0, false, transfer)
          .addListener(
              (ChannelFuture f) -> {
                if (f.isSuccess()) {
                  f.channel().closeFuture().addListener(closed -> transfers.decrementAndGet());
                } else {
                  transfers.decrementAndGet();
                  counters.failed.increment();
                  log.warn("tftp: no port for a transfer to {}", client, f.cause());
                  refuse(ctx, client, TftpPacket.Error.NOT_DEFINED, "server busy");
                }
              });
    }

    /** The file's bytes, from the cache while its size and time are the same. */
    private byte[] cached(String name, Path file) throws IOException {
      BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
      long size = attributes.size();
      if (size > settings.maxFileBytes()) {
        throw new IOException(size + " bytes is more than " + settings.maxFileBytes());
      }
      Cached hit = cache.get(name);
      if (hit != null
          && hit.bytes().length == size
          && hit.modified().equals(attributes.lastModifiedTime())) {
        return hit.bytes();
      }
      byte[] bytes = Files.readAllBytes(file);
      cache.put(name, new Cached(bytes, attributes.lastModifiedTime()));
      return bytes;
    }

    private void refuse(ChannelHandlerContext ctx, InetSocketAddress client, int code, String why) {
      log.info("tftp: refused {}: {}", client, LogText.of(why));
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
