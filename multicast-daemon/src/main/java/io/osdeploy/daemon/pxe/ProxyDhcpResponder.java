package io.osdeploy.daemon.pxe;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.osdeploy.daemon.pxe.ProxyDhcpDecision.Answer;
import io.osdeploy.daemon.pxe.ProxyDhcpDecision.Ignored;
import io.osdeploy.daemon.pxe.ProxyDhcpDecision.Refused;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxyDHCP service (PXE 2.1) next to the site's own DHCP server: listens on UDP 67 for PXE
 * clients' DISCOVER and on 4011 for their REQUEST, and answers only with the boot server and the
 * boot file. It never offers an address.
 */
public final class ProxyDhcpResponder implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProxyDhcpResponder.class);

  public static final int DHCP_PORT = 67;
  public static final int PXE_PORT = 4011;
  private static final int CLIENT_PORT = 68;

  private final ProxyDhcpPolicy policy;
  private final EventLoopGroup group = UdpTransport.group(1);
  private final LongAdder offers = new LongAdder();
  private final LongAdder acks = new LongAdder();
  private final LongAdder refusedUnknown = new LongAdder();
  private final LongAdder refusedArch = new LongAdder();
  private final LongAdder ignored = new LongAdder();
  private final LongAdder malformed = new LongAdder();
  private final LongAdder sendFailures = new LongAdder();
  private Channel dhcp;
  private Channel pxe;

  public ProxyDhcpResponder(ProxyDhcpSettings settings, MachineFilter machines) {
    this.policy = new ProxyDhcpPolicy(settings, machines);
  }

  /**
   * Listens on {@code host}. Broadcast DISCOVERs reach only a socket bound to the wildcard address,
   * so {@code host} is {@code 0.0.0.0} in production.
   *
   * @param dhcpPort 67 in production
   * @param pxePort 4011 in production
   */
  public synchronized void start(String host, int dhcpPort, int pxePort)
      throws IOException, InterruptedException {
    if (dhcp != null) {
      throw new IllegalStateException("already started");
    }
    dhcp = UdpTransport.bind(group, host, dhcpPort, true, new Handler(false));
    try {
      pxe = UdpTransport.bind(group, host, pxePort, false, new Handler(true));
    } catch (IOException e) {
      dhcp.close().await();
      dhcp = null;
      throw e;
    }
    log.info("proxyDHCP listening on {} and {}", dhcp.localAddress(), pxe.localAddress());
  }

  public InetSocketAddress dhcpAddress() {
    return (InetSocketAddress) dhcp.localAddress();
  }

  public InetSocketAddress pxeAddress() {
    return (InetSocketAddress) pxe.localAddress();
  }

  public ProxyDhcpMetrics metrics() {
    return new ProxyDhcpMetrics(
        offers.sum(),
        acks.sum(),
        refusedUnknown.sum(),
        refusedArch.sum(),
        ignored.sum(),
        malformed.sum(),
        sendFailures.sum());
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Where a reply goes: the relay, the client's address, or a broadcast to port 68. */
  private static InetSocketAddress destination(
      DhcpPacket request, InetSocketAddress sender, boolean pxePort) {
    if (pxePort) {
      return sender;
    }
    if (!request.giaddr().isAnyLocalAddress()) {
      return new InetSocketAddress(request.giaddr(), DHCP_PORT);
    }
    if (!request.ciaddr().isAnyLocalAddress()) {
      return new InetSocketAddress(request.ciaddr(), CLIENT_PORT);
    }
    return new InetSocketAddress("255.255.255.255", CLIENT_PORT);
  }

  @ChannelHandler.Sharable
  private final class Handler extends SimpleChannelInboundHandler<DatagramPacket> {
    private final boolean pxePort;

    Handler(boolean pxePort) {
      this.pxePort = pxePort;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket datagram) {
      InetSocketAddress sender = datagram.sender();
      DhcpPacket request;
      ProxyDhcpDecision decision;
      try {
        request = DhcpPacket.decode(ByteBufUtil.getBytes(datagram.content()));
        decision = policy.decide(request, pxePort);
      } catch (MalformedPacketException e) {
        malformed.increment();
        log.debug(
            "proxyDHCP: dropped a malformed packet from {} ({}): {}",
            sender,
            e.reason(),
            e.getMessage());
        return;
      }
      if (decision instanceof Answer answer) {
        send(ctx, request, sender, answer);
      } else if (decision instanceof Refused refused) {
        (refused.reason() == ProxyDhcpDecision.RefusalReason.UNKNOWN_MACHINE
                ? refusedUnknown
                : refusedArch)
            .increment();
        log.info(
            "proxyDHCP: no answer for mac={} uuid={} arch={}: {}",
            refused.client().mac(),
            refused.client().uuid(),
            refused.client().arch(),
            refused.reason());
      } else if (decision instanceof Ignored ignore) {
        ignored.increment();
        log.debug("proxyDHCP: ignored a packet from {}: {}", sender, ignore.why());
      }
    }

    private void send(
        ChannelHandlerContext ctx, DhcpPacket request, InetSocketAddress sender, Answer answer) {
      InetSocketAddress to = destination(request, sender, pxePort);
      boolean offer = !pxePort;
      ctx.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(answer.reply().encode()), to))
          .addListener(
              f -> {
                if (f.isSuccess()) {
                  (offer ? offers : acks).increment();
                  log.info(
                      "proxyDHCP: {} to mac={} uuid={} arch={} ipxe={} boot file {} via {}",
                      offer ? "OFFER" : "ACK",
                      answer.client().mac(),
                      answer.client().uuid(),
                      answer.client().arch(),
                      answer.client().ipxe(),
                      answer.bootFile(),
                      to);
                } else {
                  sendFailures.increment();
                  log.warn(
                      "proxyDHCP: cannot send to {} for mac={}",
                      to,
                      answer.client().mac(),
                      f.cause());
                }
              });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // A datagram channel stays open: one bad packet must not stop the service.
      log.warn("proxyDHCP: error on {}", ctx.channel().localAddress(), cause);
    }
  }
}
