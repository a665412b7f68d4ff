package io.osdeploy.daemon.multicast;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins a session's group, writes each block at its offset in the output file, NAKs what it lacks
 * after a random back-off, and reports success only when the whole file's SHA-256 matches the
 * announced one. All state is touched only on the channel's event loop, so it needs no locks.
 */
public final class MulticastReceiver implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MulticastReceiver.class);
  private static final int MAX_NAK_DATAGRAMS_PER_ROUND = 16;
  private static final int STATUS_REPEATS = 3;

  /** Decides, before any processing, whether to drop a DATA datagram: loss injection for tests. */
  @FunctionalInterface
  public interface DataDropFilter {
    DataDropFilter NONE = (ordinal, block) -> false;

    /** {@code ordinal} counts the DATA datagrams this receiver has seen, from 0. */
    boolean drop(long ordinal, DataBlock block);
  }

  /** What the receiver needs to join one session; normally handed out by the control endpoint. */
  public record Config(
      InetSocketAddress group,
      NetworkInterface iface,
      int sessionId,
      int sourceId,
      byte[] secret,
      boolean encrypted,
      Duration nakBackoffMax,
      Duration idleTimeout,
      DataDropFilter dropFilter) {

    public Config {
      if (sourceId == WireFormat.SENDER_SOURCE_ID) {
        throw new IllegalArgumentException("source id 0 is the sender's");
      }
    }

    public static Config defaults(
        InetSocketAddress group,
        NetworkInterface iface,
        int sessionId,
        int sourceId,
        byte[] secret) {
      return new Config(
          group,
          iface,
          sessionId,
          sourceId,
          secret,
          false,
          Duration.ofMillis(40),
          Duration.ofMillis(250),
          DataDropFilter.NONE);
    }

    public Config withDropFilter(DataDropFilter filter) {
      return new Config(
          group, iface, sessionId, sourceId, secret, encrypted, nakBackoffMax, idleTimeout, filter);
    }
  }

  private final Config config;
  private final Path output;
  private final SessionCodec codec;
  private final EventLoopGroup group;
  private final CompletableFuture<ReceiveResult> result = new CompletableFuture<>();
  private final String session;

  // Event-loop state.
  private DatagramChannel channel;
  private Announce announce;
  private FileChannel out;
  private BitSet held;
  private long heldCount;
  private InetSocketAddress senderAddress;
  private int lastPass;
  private long lastPacketNanos;
  private ScheduledFuture<?> pendingNak;
  private long dataOrdinal;
  private long duplicates;
  private long naksSent;
  private long naksSuppressed;
  private long droppedForTest;
  private boolean finished;

  public MulticastReceiver(Config config, Path output) {
    this.config = config;
    this.output = output;
    this.codec =
        new SessionCodec(
            SessionKeys.fromSecret(config.secret()),
            config.sessionId(),
            config.sourceId(),
            config.encrypted());
    this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    this.session = Integer.toUnsignedString(config.sessionId());
  }

  /** Binds the group's port and joins the group; the future completes with the outcome. */
  public CompletableFuture<ReceiveResult> start() throws InterruptedException {
    Bootstrap b =
        new Bootstrap()
            .group(group)
            .channelFactory(() -> new NioDatagramChannel(SocketProtocolFamily.INET))
            // Several receivers (and sessions) on one host share the port.
            .option(ChannelOption.SO_REUSEADDR, true)
            .option(ChannelOption.IP_MULTICAST_IF, config.iface())
            .option(ChannelOption.SO_RCVBUF, 8 << 20)
            .handler(new Handler());
    channel =
        (DatagramChannel) b.bind(new InetSocketAddress(config.group().getPort())).sync().channel();
    channel.joinGroup(config.group(), config.iface()).sync();
    long checkMillis = Math.max(10, config.idleTimeout().toMillis() / 2);
    channel
        .eventLoop()
        .scheduleAtFixedRate(this::checkIdle, checkMillis, checkMillis, TimeUnit.MILLISECONDS);
    LOG.info(
        "multicast receiver joined session={} source={} group={} iface={}",
        session,
        Integer.toUnsignedString(config.sourceId()),
        config.group(),
        config.iface().getName());
    return result;
  }

  public CompletableFuture<ReceiveResult> result() {
    return result;
  }

  /** Datagrams dropped before processing, by reason; for metrics. */
  public long rejected(DecodeException.Reason reason) {
    return codec.rejected(reason);
  }

  private void onDatagram(DatagramPacket packet) {
    SessionCodec.Received in;
    try {
      in = codec.decode(packet.content());
    } catch (DecodeException e) {
      LOG.debug(
          "multicast drop session={} from={} reason={} detail={}",
          session,
          packet.sender(),
          e.reason(),
          e.getMessage());
      return;
    }
    try {
      if (in.header().sourceId() != WireFormat.SENDER_SOURCE_ID || finished) {
        return; // another receiver's feedback, or we are done
      }
      senderAddress = packet.sender();
      lastPacketNanos = System.nanoTime();
      Message m = in.message();
      if (m instanceof Announce a) {
        onAnnounce(a);
      } else if (m instanceof DataBlock d) {
        onData(d);
      } else if (m instanceof PassEnd p) {
        lastPass = p.pass();
        scheduleNak();
      } else if (m instanceof SessionEnd e) {
        onSessionEnd(e);
      }
    } catch (IOException e) {
      fail(e);
    } finally {
      in.release();
    }
  }

  private void onAnnounce(Announce a) throws IOException {
    if (announce != null) {
      if (!announce.equals(a)) {
        LOG.warn("multicast announce changed mid-session session={}; ignored", session);
      }
      return;
    }
    announce = a;
    held = new BitSet((int) a.blockCount());
    out =
        FileChannel.open(
            output,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.READ,
            StandardOpenOption.TRUNCATE_EXISTING);
    LOG.info(
        "multicast receiver announce session={} image={} bytes={} blocks={} sections={}",
        session,
        a.imageName(),
        a.fileSize(),
        a.blockCount(),
        a.sectionCount());
  }

  private void onData(DataBlock d) throws IOException {
    if (config.dropFilter().drop(dataOrdinal++, d)) {
      droppedForTest++;
      return;
    }
    if (announce == null) {
      return; // parameters arrive in the next ANNOUNCE; the block comes back in a repair pass
    }
    if (d.block() >= announce.blockCount()
        || d.data().readableBytes() != announce.blockLength(d.block())) {
      LOG.debug("multicast bad block session={} block={}", session, d.block());
      return;
    }
    int block = (int) d.block();
    if (held.get(block)) {
      duplicates++;
      return;
    }
    ByteBuffer bytes = d.data().nioBuffer();
    long position = d.block() * announce.blockSize();
    while (bytes.hasRemaining()) {
      position += out.write(bytes, position);
    }
    held.set(block);
    if (++heldCount == announce.blockCount()) {
      finish();
    }
  }

  private void scheduleNak() {
    if (announce == null || finished || pendingNak != null) {
      return;
    }
    long backoff = ThreadLocalRandom.current().nextLong(config.nakBackoffMax().toNanos() + 1);
    pendingNak = channel.eventLoop().schedule(this::sendNaks, backoff, TimeUnit.NANOSECONDS);
  }

  /**
   * Recomputes what is missing when the back-off ends: blocks another receiver's NAK already got
   * repaired meanwhile are not asked for again, and nothing is sent if nothing is left.
   */
  private void sendNaks() {
    pendingNak = null;
    if (finished || senderAddress == null) {
      return;
    }
    int bps = announce.blocksPerSection();
    int bitmapBytes = bps / 8;
    int perDatagram = Nak.maxSections(bitmapBytes);
    List<Nak.Section> sections = new ArrayList<>();
    int datagrams = 0;
    long blockCount = announce.blockCount();
    for (long s = 0; s < announce.sectionCount() && datagrams < MAX_NAK_DATAGRAMS_PER_ROUND; s++) {
      int first = (int) (s * bps);
      int end = (int) Math.min(blockCount, first + (long) bps);
      int gap = held.nextClearBit(first);
      if (gap >= end) {
        continue;
      }
      BitSet missing = new BitSet(bps);
      for (int i = gap; i < end; i = held.nextClearBit(i + 1)) {
        missing.set(i - first);
      }
      sections.add(new Nak.Section(s, missing));
      if (sections.size() == perDatagram) {
        sendNak(sections);
        sections.clear();
        datagrams++;
      }
    }
    if (!sections.isEmpty()) {
      sendNak(sections);
      datagrams++;
    }
    if (datagrams == 0) {
      naksSuppressed++;
    }
  }

  private void sendNak(List<Nak.Section> sections) {
    Nak nak = new Nak(lastPass, announce.blocksPerSection() / 8, sections);
    send(nak);
    naksSent++;
    LOG.debug(
        "multicast nak session={} pass={} sections={} missing={}",
        session,
        lastPass,
        sections.size(),
        announce.blockCount() - heldCount);
  }

  private void send(Message m) {
    ByteBuf datagram = codec.encode(channel.alloc(), m);
    channel.writeAndFlush(new DatagramPacket(datagram, senderAddress));
  }

  private void checkIdle() {
    if (finished || announce == null) {
      return;
    }
    if (System.nanoTime() - lastPacketNanos > config.idleTimeout().toNanos()) {
      // Every PASS_END may have been lost; ask anyway.
      scheduleNak();
    }
  }

  private void finish() throws IOException {
    finished = true;
    out.force(false);
    String actual = sha256(out);
    out.close();
    boolean match = actual.equals(HexFormat.of().formatHex(announce.sha256()));
    Status.State state = match ? Status.State.VERIFIED : Status.State.DIGEST_MISMATCH;
    for (int i = 0; i < STATUS_REPEATS; i++) {
      send(new Status(state, heldCount, 0));
    }
    ReceiveResult.Outcome outcome =
        match ? ReceiveResult.Outcome.VERIFIED : ReceiveResult.Outcome.DIGEST_MISMATCH;
    LOG.info(
        "multicast receiver done session={} source={} outcome={} sha256={} duplicates={} naks={}"
            + " suppressed={}",
        session,
        Integer.toUnsignedString(config.sourceId()),
        outcome,
        actual,
        duplicates,
        naksSent,
        naksSuppressed);
    result.complete(resultOf(outcome, actual));
  }

  private void onSessionEnd(SessionEnd e) throws IOException {
    finished = true;
    if (out != null) {
      out.close();
    }
    LOG.warn(
        "multicast session ended before this receiver had every block session={} reason={}"
            + " missing={}",
        session,
        e.reason(),
        announce == null ? "all" : announce.blockCount() - heldCount);
    result.complete(resultOf(ReceiveResult.Outcome.INCOMPLETE, null));
  }

  private void fail(IOException e) {
    finished = true;
    LOG.error("multicast receiver failed session={} file={}", session, output, e);
    result.completeExceptionally(e);
  }

  private ReceiveResult resultOf(ReceiveResult.Outcome outcome, String sha) {
    return new ReceiveResult(
        outcome,
        output,
        sha,
        heldCount,
        duplicates,
        naksSent,
        naksSuppressed,
        droppedForTest,
        codec.rejectedTotal());
  }

  // Runs on the event loop; fine for test-sized images. Hashing multi-GB images moves off the
  // loop (or is done incrementally while blocks arrive in order) in a later stage.
  private static String sha256(FileChannel file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
    ByteBuffer buf = ByteBuffer.allocate(1 << 16);
    long position = 0;
    int n;
    while ((n = file.read(buf, position)) > 0) {
      position += n;
      buf.flip();
      digest.update(buf);
      buf.clear();
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  @Override
  public void close() {
    if (channel != null) {
      channel.eventLoop().execute(this::closeOnLoop);
      try {
        channel.leaveGroup(config.group(), config.iface()).await(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      channel.close().awaitUninterruptibly();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    result.complete(resultOf(ReceiveResult.Outcome.INCOMPLETE, null));
  }

  private void closeOnLoop() {
    finished = true;
    if (pendingNak != null) {
      pendingNak.cancel(false);
    }
    try {
      if (out != null && out.isOpen()) {
        out.close();
      }
    } catch (IOException e) {
      LOG.warn("multicast receiver close failed session={} file={}", session, output, e);
    }
  }

  /** Never closes the datagram channel on an error: one bad datagram must not end the session. */
  private final class Handler extends SimpleChannelInboundHandler<DatagramPacket> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      onDatagram(packet);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.warn("multicast receiver channel error session={}", session, cause);
    }
  }
}
