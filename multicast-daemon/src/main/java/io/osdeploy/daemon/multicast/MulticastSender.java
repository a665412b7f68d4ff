package io.osdeploy.daemon.multicast;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one file to a multicast group: a first pass over every block, then repair passes of the
 * blocks receivers NAKed, until every expected receiver reports VERIFIED or the NAKs stop. The send
 * loop runs on its own thread because pacing blocks; NAKs and STATUS arrive on the channel's event
 * loop.
 */
public final class MulticastSender implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MulticastSender.class);
  // Often enough that a late joiner loses little of the running pass before it can write blocks;
  // ten datagrams a second cost nothing next to the data.
  private static final long ANNOUNCE_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final int PASS_END_REPEATS = 3;
  private static final int BURST_DATAGRAMS = 32;

  /** What the sender needs to run one session. */
  public record Config(
      InetSocketAddress group,
      NetworkInterface iface,
      int sessionId,
      byte[] secret,
      boolean encrypt,
      double rateMbps,
      int blockSize,
      int blocksPerSection,
      int expectedReceivers,
      Duration collectWindow,
      int quietWindowsToEnd,
      Duration maxDuration) {

    /** Defaults from docs/multicast-protocol.md for the given group, key and rate. */
    public static Config defaults(
        InetSocketAddress group,
        NetworkInterface iface,
        int sessionId,
        byte[] secret,
        double rateMbps,
        int expectedReceivers) {
      return new Config(
          group,
          iface,
          sessionId,
          secret,
          false,
          rateMbps,
          WireFormat.DEFAULT_BLOCK_SIZE,
          WireFormat.DEFAULT_BLOCKS_PER_SECTION,
          expectedReceivers,
          Duration.ofMillis(60),
          3,
          Duration.ofMinutes(30));
    }
  }

  /** How a session went. */
  public record Result(
      SessionEnd.Reason reason,
      int passes,
      long dataPackets,
      long repairPackets,
      long naksReceived,
      int verifiedReceivers,
      long rejectedDatagrams) {}

  private final Config config;
  private final Path file;
  private final Announce announce;
  private final SessionCodec codec;
  private final EventLoopGroup group;
  private final BitSet nakUnion = new BitSet();
  private final Set<Integer> verified = new HashSet<>();

  /** Silence needed to end a session while expected receivers have not verified. */
  private static final long QUIET_WITH_MISSING_NANOS = 2_000_000_000L;

  private final AtomicLong naksReceived = new AtomicLong();
  private final CompletableFuture<Result> result = new CompletableFuture<>();
  private volatile Channel channel;
  private volatile boolean closed;

  public MulticastSender(Config config, Path file, byte[] sha256, String imageName)
      throws IOException {
    if (config.blockSize() < 1 || config.blockSize() > WireFormat.MAX_BLOCK_SIZE) {
      throw new IllegalArgumentException("block size " + config.blockSize());
    }
    this.config = config;
    this.file = file;
    long size = java.nio.file.Files.size(file);
    if (size <= 0 || Announce.ceilDiv(size, config.blockSize()) > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(file + " has " + size + " bytes; too small or too large");
    }
    long rateKbps = (long) (config.rateMbps() * 1000);
    this.announce =
        Announce.of(
            size, config.blockSize(), config.blocksPerSection(), rateKbps, sha256, imageName);
    this.codec =
        new SessionCodec(
            SessionKeys.fromSecret(config.secret()),
            config.sessionId(),
            WireFormat.SENDER_SOURCE_ID,
            config.encrypt());
    this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  /** Binds the channel and starts the send loop; the future completes when the session ends. */
  public CompletableFuture<Result> start() throws InterruptedException {
    Bootstrap b =
        new Bootstrap()
            .group(group)
            .channelFactory(() -> new NioDatagramChannel(SocketProtocolFamily.INET))
            .option(ChannelOption.SO_REUSEADDR, true)
            .option(ChannelOption.IP_MULTICAST_IF, config.iface())
            .option(ChannelOption.IP_MULTICAST_TTL, 1)
            .option(ChannelOption.SO_SNDBUF, 4 << 20)
            .option(
                ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 << 10, 1 << 20))
            .handler(new FeedbackHandler());
    // Feedback comes unicast to whatever address the receivers see as the packets' source.
    channel = b.bind(new InetSocketAddress(0)).sync().channel();
    Thread loop = new Thread(this::runSession, "mc-sender-" + config.sessionId());
    loop.setDaemon(true);
    loop.start();
    return result;
  }

  public CompletableFuture<Result> result() {
    return result;
  }

  private void runSession() {
    long deadline = System.nanoTime() + config.maxDuration().toNanos();
    TokenBucket bucket = new TokenBucket(config.rateMbps(), BURST_DATAGRAMS * 1500);
    long blockCount = announce.blockCount();
    long dataPackets = 0;
    long repairPackets = 0;
    int pass = 0;
    int quiet = 0;
    long quietSince = 0;
    BitSet toSend = new BitSet();
    toSend.set(0, (int) blockCount);
    SessionEnd.Reason reason;
    LOG.info(
        "multicast send start session={} group={} file={} bytes={} blocks={} sections={} rateMbps={}",
        Integer.toUnsignedString(config.sessionId()),
        config.group(),
        file,
        announce.fileSize(),
        blockCount,
        announce.sectionCount(),
        config.rateMbps());
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      send(announce, bucket);
      long lastAnnounce = System.nanoTime();
      while (true) {
        if (closed || System.nanoTime() > deadline) {
          reason = SessionEnd.Reason.ABORTED;
          break;
        }
        int sent = 0;
        for (int block = toSend.nextSetBit(0); block >= 0; block = toSend.nextSetBit(block + 1)) {
          if (closed) {
            break;
          }
          if (System.nanoTime() - lastAnnounce > ANNOUNCE_INTERVAL_NANOS) {
            send(announce, bucket);
            lastAnnounce = System.nanoTime();
          }
          sendBlock(in, pass, block, bucket);
          sent++;
        }
        if (pass == 0) {
          dataPackets += sent;
        } else {
          repairPackets += sent;
        }
        // A late joiner may have missed every ANNOUNCE so far; it needs one to NAK at all.
        send(announce, bucket);
        lastAnnounce = System.nanoTime();
        for (int i = 0; i < PASS_END_REPEATS; i++) {
          send(new PassEnd(pass, sent), bucket);
          Thread.sleep(2);
        }
        Thread.sleep(config.collectWindow().toMillis());
        if (allVerified()) {
          reason = SessionEnd.Reason.ALL_VERIFIED;
          break;
        }
        toSend = takeNakUnion(blockCount);
        if (toSend.isEmpty()) {
          if (quiet++ == 0) {
            quietSince = System.nanoTime();
          }
          // Expected receivers not yet verified may only be slow (a busy host delays their NAKs
          // past a collection window): they get a longer silence before the session gives up.
          boolean waitingForSome =
              config.expectedReceivers() > 0 && verifiedCount() < config.expectedReceivers();
          boolean longEnough =
              !waitingForSome || System.nanoTime() - quietSince >= QUIET_WITH_MISSING_NANOS;
          if (quiet >= config.quietWindowsToEnd() && longEnough) {
            reason = SessionEnd.Reason.IDLE;
            break;
          }
          // A receiver that missed every PASS_END hears the next one and NAKs then.
          continue;
        }
        quiet = 0;
        pass = Math.min(pass + 1, 0xFFFF);
        LOG.info(
            "multicast repair pass session={} pass={} blocks={}",
            Integer.toUnsignedString(config.sessionId()),
            pass,
            toSend.cardinality());
        send(announce, bucket);
        lastAnnounce = System.nanoTime();
      }
      for (int i = 0; i < PASS_END_REPEATS; i++) {
        send(new SessionEnd(reason, pass), bucket);
      }
      Result r =
          new Result(
              reason,
              pass + 1,
              dataPackets,
              repairPackets,
              naksReceived.get(),
              verifiedCount(),
              codec.rejectedTotal());
      LOG.info(
          "multicast send end session={} reason={} passes={} data={} repairs={} naks={} verified={}"
              + " rejected={}",
          Integer.toUnsignedString(config.sessionId()),
          reason,
          r.passes(),
          dataPackets,
          repairPackets,
          r.naksReceived(),
          r.verifiedReceivers(),
          r.rejectedDatagrams());
      result.complete(r);
    } catch (IOException | RuntimeException e) {
      LOG.error("multicast send failed session={}", config.sessionId(), e);
      result.completeExceptionally(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      result.completeExceptionally(e);
    }
  }

  private void sendBlock(FileChannel in, int pass, long block, TokenBucket bucket)
      throws IOException, InterruptedException {
    int length = announce.blockLength(block);
    ByteBuf data = ByteBufAllocator.DEFAULT.buffer(length);
    try {
      long position = block * announce.blockSize();
      while (data.writerIndex() < length) {
        int n = data.writeBytes(in, position + data.writerIndex(), length - data.writerIndex());
        if (n < 0) {
          throw new IOException(file + " shrank while being sent");
        }
      }
      send(new DataBlock(pass, block, data), bucket);
    } finally {
      data.release();
    }
  }

  private void send(Message message, TokenBucket bucket) throws InterruptedException {
    ByteBuf datagram = codec.encode(channel.alloc(), message);
    bucket.acquire(datagram.readableBytes() + WireFormat.IP_UDP_OVERHEAD);
    ChannelFuture f = channel.writeAndFlush(new DatagramPacket(datagram, config.group()));
    if (!channel.isWritable()) {
      // The socket buffer is full: wait rather than queue without bound in Netty.
      f.await();
    }
  }

  private BitSet takeNakUnion(long blockCount) {
    synchronized (nakUnion) {
      BitSet copy = (BitSet) nakUnion.clone();
      nakUnion.clear();
      copy.clear((int) blockCount, Math.max((int) blockCount, copy.length()));
      return copy;
    }
  }

  private boolean allVerified() {
    return config.expectedReceivers() > 0 && verifiedCount() >= config.expectedReceivers();
  }

  private int verifiedCount() {
    synchronized (verified) {
      return verified.size();
    }
  }

  @Override
  public void close() {
    closed = true;
    if (channel != null) {
      channel.close().awaitUninterruptibly();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
  }

  /** Receives NAK and STATUS from receivers; never closes the channel on errors. */
  private final class FeedbackHandler extends SimpleChannelInboundHandler<DatagramPacket> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      SessionCodec.Received in;
      try {
        in = codec.decode(packet.content());
      } catch (DecodeException e) {
        LOG.debug(
            "multicast drop session={} from={} reason={} detail={}",
            Integer.toUnsignedString(config.sessionId()),
            packet.sender(),
            e.reason(),
            e.getMessage());
        return;
      }
      try {
        if (in.header().sourceId() == WireFormat.SENDER_SOURCE_ID) {
          return; // another sender with our key: not feedback
        }
        if (in.message() instanceof Nak nak) {
          onNak(nak);
        } else if (in.message() instanceof Status status) {
          onStatus(in.header().sourceId(), status, packet.sender());
        }
      } finally {
        in.release();
      }
    }

    private void onNak(Nak nak) {
      naksReceived.incrementAndGet();
      int bps = announce.blocksPerSection();
      synchronized (nakUnion) {
        for (Nak.Section s : nak.sections()) {
          if (s.section() >= announce.sectionCount()) {
            continue;
          }
          BitSet missing = s.missing();
          for (int i = missing.nextSetBit(0); i >= 0 && i < bps; i = missing.nextSetBit(i + 1)) {
            nakUnion.set((int) (s.section() * bps + i));
          }
        }
      }
    }

    private void onStatus(int source, Status status, InetSocketAddress from) {
      if (status.state() == Status.State.VERIFIED) {
        boolean first;
        synchronized (verified) {
          first = verified.add(source);
        }
        if (first) {
          LOG.info(
              "multicast receiver verified session={} source={} from={}",
              Integer.toUnsignedString(config.sessionId()),
              Integer.toUnsignedString(source),
              from);
        }
      } else if (status.state() == Status.State.DIGEST_MISMATCH) {
        LOG.warn(
            "multicast receiver digest mismatch session={} source={} from={}",
            Integer.toUnsignedString(config.sessionId()),
            Integer.toUnsignedString(source),
            from);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.warn("multicast sender channel error session={}", config.sessionId(), cause);
    }
  }
}
