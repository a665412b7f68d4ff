package io.osdeploy.daemon.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bounds what anyone on the LAN can hold open on the daemon's HTTP ports: at most {@link
 * Limits#total} connections, at most {@link Limits#perAddress} from one address, and none that
 * neither reads nor writes for {@link Limits#idle} (an image download writes all the time, so only
 * a silent connection is closed). A connection over a limit is closed at once, before TLS or HTTP
 * costs anything; refusals and idle closes are counted for {@code /metrics}.
 */
@ChannelHandler.Sharable
public final class ConnectionLimits extends ChannelInboundHandlerAdapter {
  /** The limits; {@link #DEFAULT} on a distribution point. */
  public record Limits(int total, int perAddress, Duration idle) {
    public static final Limits DEFAULT = new Limits(1024, 32, Duration.ofSeconds(60));
  }

  /** What the limits did so far. */
  public record Counts(long open, long refusedTotal, long refusedPerAddress, long idleClosed) {}

  private static final AttributeKey<InetAddress> COUNTED =
      AttributeKey.valueOf("osdeploy.connection.counted");

  private final Limits limits;
  private final AtomicInteger open = new AtomicInteger();
  private final ConcurrentHashMap<InetAddress, AtomicInteger> byAddress = new ConcurrentHashMap<>();
  private final LongAdder refusedTotal = new LongAdder();
  private final LongAdder refusedPerAddress = new LongAdder();
  private final LongAdder idleClosed = new LongAdder();

  ConnectionLimits(Limits limits) {
    this.limits = limits;
  }

  Limits limits() {
    return limits;
  }

  Counts counts() {
    return new Counts(open.get(), refusedTotal.sum(), refusedPerAddress.sum(), idleClosed.sum());
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    InetAddress address = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
    if (open.incrementAndGet() > limits.total()) {
      open.decrementAndGet();
      refusedTotal.increment();
      ctx.channel().close();
      return;
    }
    AtomicInteger fromAddress =
        byAddress.compute(
            address,
            (a, n) -> {
              AtomicInteger count = n == null ? new AtomicInteger() : n;
              count.incrementAndGet();
              return count;
            });
    if (fromAddress.get() > limits.perAddress()) {
      release(address);
      open.decrementAndGet();
      refusedPerAddress.increment();
      ctx.channel().close();
      return;
    }
    ctx.channel().attr(COUNTED).set(address);
    super.channelActive(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    InetAddress address = ctx.channel().attr(COUNTED).getAndSet(null);
    if (address != null) {
      release(address);
      open.decrementAndGet();
    }
    super.channelInactive(ctx);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (event instanceof IdleStateEvent) {
      idleClosed.increment();
      ctx.channel().close();
      return;
    }
    super.userEventTriggered(ctx, event);
  }

  private void release(InetAddress address) {
    byAddress.computeIfPresent(address, (a, n) -> n.decrementAndGet() == 0 ? null : n);
  }
}
