package io.osdeploy.daemon.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bounds what anyone on the LAN can hold open on the daemon's HTTP ports: at most {@link
 * Limits#perAddress} connections from one address, at most {@link Limits#total} in all, and none
 * that neither reads nor writes for {@link Limits#idle} (an image download writes all the time, so
 * only a silent connection is closed). When every place is taken, a new connection takes the place
 * of the one that has been silent longest, if that one has been silent for {@link
 * Limits#evictAfter}: a flood of connections that say nothing cannot keep a real machine out for
 * the whole idle timeout. A connection over a limit is closed at once, before TLS or HTTP costs
 * anything; refusals, evictions and idle closes are counted for {@code /metrics}.
 */
@ChannelHandler.Sharable
public final class ConnectionLimits extends ChannelDuplexHandler {
  /** The limits; {@link #DEFAULT} on a distribution point. */
  public record Limits(int total, int perAddress, Duration idle, Duration evictAfter) {
    public static final Limits DEFAULT =
        new Limits(1024, 32, Duration.ofSeconds(60), Duration.ofSeconds(5));

    public Limits(int total, int perAddress, Duration idle) {
      this(total, perAddress, idle, Duration.ofSeconds(5));
    }
  }

  /** What the limits did so far. */
  public record Counts(
      long open, long refusedTotal, long refusedPerAddress, long idleClosed, long evicted) {}

  private static final AttributeKey<InetAddress> COUNTED =
      AttributeKey.valueOf("osdeploy.connection.counted");
  private static final AttributeKey<Long> LAST_ACTIVE =
      AttributeKey.valueOf("osdeploy.connection.lastActive");
  private static final AttributeKey<String> OUTPUT_SEEN =
      AttributeKey.valueOf("osdeploy.connection.outputSeen");

  private final Limits limits;
  private final AtomicInteger open = new AtomicInteger();
  private final ConcurrentHashMap<InetAddress, AtomicInteger> byAddress = new ConcurrentHashMap<>();
  private final Set<Channel> counted = ConcurrentHashMap.newKeySet();
  private final LongAdder refusedTotal = new LongAdder();
  private final LongAdder refusedPerAddress = new LongAdder();
  private final LongAdder idleClosed = new LongAdder();
  private final LongAdder evicted = new LongAdder();

  ConnectionLimits(Limits limits) {
    this.limits = limits;
  }

  Limits limits() {
    return limits;
  }

  Counts counts() {
    return new Counts(
        open.get(), refusedTotal.sum(), refusedPerAddress.sum(), idleClosed.sum(), evicted.sum());
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    Channel channel = ctx.channel();
    InetAddress address = ((InetSocketAddress) channel.remoteAddress()).getAddress();
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
      refusedPerAddress.increment();
      channel.close();
      return;
    }
    if (open.incrementAndGet() > limits.total() && !evictTheLongestSilent()) {
      open.decrementAndGet();
      release(address);
      refusedTotal.increment();
      channel.close();
      return;
    }
    channel.attr(LAST_ACTIVE).set(System.nanoTime());
    channel.attr(COUNTED).set(address);
    counted.add(channel);
    super.channelActive(ctx);
  }

  /**
   * Closes the connection silent longest if it has been silent for {@link Limits#evictAfter}; its
   * place is counted free when it is closed. Every place holds a connection here, so this looks at
   * {@link Limits#total} of them: only when a flood has filled them all.
   */
  private boolean evictTheLongestSilent() {
    Channel silent = null;
    long oldest = Long.MAX_VALUE;
    for (Channel c : counted) {
      Long last = c.attr(LAST_ACTIVE).get();
      if (last != null && last < oldest && !sending(c)) {
        oldest = last;
        silent = c;
      }
    }
    if (silent == null || System.nanoTime() - oldest < limits.evictAfter().toNanos()) {
      return false;
    }
    if (!counted.remove(silent)) {
      return evictTheLongestSilent(); // another connection took it first
    }
    evicted.increment();
    silent.close();
    return true;
  }

  /**
   * Whether the connection still has bytes to send: a download in progress (a zero-copy one is a
   * single write), which is not silent however long ago it was written. One that stalls is closed
   * by the idle timeout, which watches the output's progress.
   */
  private static boolean sending(Channel c) {
    io.netty.channel.ChannelOutboundBuffer out = c.unsafe().outboundBuffer();
    return out != null && out.totalPendingWriteBytes() > 0;
  }

  /**
   * Whether bytes went out since the last idle event: what is pending, and how far the message
   * being sent has got. A reader that stopped reading leaves both still, and is closed at the next
   * idle event.
   */
  private static boolean outputMoved(Channel c) {
    io.netty.channel.ChannelOutboundBuffer out = c.unsafe().outboundBuffer();
    if (out == null || out.totalPendingWriteBytes() == 0) {
      return false;
    }
    String now =
        System.identityHashCode(out.current())
            + "/"
            + out.totalPendingWriteBytes()
            + "/"
            + out.currentProgress();
    String before = c.attr(OUTPUT_SEEN).getAndSet(now);
    return !now.equals(before);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    ctx.channel().attr(LAST_ACTIVE).set(System.nanoTime());
    super.channelRead(ctx, msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise)
      throws Exception {
    ctx.channel().attr(LAST_ACTIVE).set(System.nanoTime());
    super.write(ctx, msg, promise);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    counted.remove(ctx.channel());
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
      if (outputMoved(ctx.channel())) {
        return; // a download under way: its one write is still going out
      }
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
