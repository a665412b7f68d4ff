package io.osdeploy.transfer.receive;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.osdeploy.transfer.net.DatagramTransport;
import io.osdeploy.transfer.net.SocketDrops;
import io.osdeploy.transfer.wire.Announce;
import io.osdeploy.transfer.wire.DataBlock;
import io.osdeploy.transfer.wire.DecodeException;
import io.osdeploy.transfer.wire.FrameCodec;
import io.osdeploy.transfer.wire.JoinTicket;
import io.osdeploy.transfer.wire.Message;
import io.osdeploy.transfer.wire.MessageType;
import io.osdeploy.transfer.wire.Nak;
import io.osdeploy.transfer.wire.ParityBlock;
import io.osdeploy.transfer.wire.ParityCode;
import io.osdeploy.transfer.wire.PassEnd;
import io.osdeploy.transfer.wire.ReceiverSecrets;
import io.osdeploy.transfer.wire.SectionDigests;
import io.osdeploy.transfer.wire.SessionCodec;
import io.osdeploy.transfer.wire.SessionEnd;
import io.osdeploy.transfer.wire.Status;
import io.osdeploy.transfer.wire.WireFormat;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
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
  // Loss is judged over intervals of at least 100 ms and 256 of the sender's datagrams (at most
  // 2 s), so that random loss of a few percent is not taken for an outrun receiver.
  private static final long LOSS_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final long LOSS_MIN_DATAGRAMS = 256;
  private static final long LOSS_MAX_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(2);

  /**
   * How much forged traffic (sections that failed their digest, control messages without the
   * sender's signature) a receiver takes before it leaves the session and lets the unicast fallback
   * bring the rest: a joined receiver is attacking the session, and multicast through it would cost
   * more than it saves.
   */
  public static final int FORGERIES_BEFORE_LEAVING = 8;

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
      ReceiverSecrets secrets,
      SectionDigests sections,
      boolean encrypted,
      Duration nakBackoffMax,
      Duration idleTimeout,
      Duration senderLostTimeout,
      DataDropFilter dropFilter,
      byte[] expectedSha256) {

    /** How long a sender may stay silent, once heard, before the receiver stops waiting for it. */
    public static final Duration SENDER_LOST_TIMEOUT = Duration.ofSeconds(10);

    /**
     * @param senderLostTimeout a sender heard from sends at least an ANNOUNCE or PASS_END every few
     *     hundred milliseconds while its session lasts; silence this long means it is gone (its
     *     process or node died, or the network to it failed), and the receiver ends INCOMPLETE so
     *     that the blocks it lacks can come by unicast instead
     * @param expectedSha256 the image's digest from the control endpoint; when set, an ANNOUNCE
     *     with another digest is ignored and success needs the file to match it. Null trusts the
     *     ANNOUNCE (tests only).
     */
    public Config {
      if (sourceId == WireFormat.SENDER_SOURCE_ID) {
        throw new IllegalArgumentException("source id 0 is the sender's");
      }
      if (secrets == null || sections == null) {
        throw new IllegalArgumentException("a receiver needs its ticket's secrets and digests");
      }
      if (expectedSha256 != null && expectedSha256.length != 32) {
        throw new IllegalArgumentException("expectedSha256 must have 32 bytes");
      }
    }

    /** A receiver for what the control endpoint handed out, on {@code iface}. */
    public static Config fromTicket(JoinTicket ticket, NetworkInterface iface) {
      return builder(
              new InetSocketAddress(ticket.group(), ticket.port()),
              iface,
              (int) ticket.sessionId(),
              (int) ticket.sourceId(),
              ticket.receiverSecrets(),
              ticket.sections())
          .encrypted(ticket.encrypted())
          .expectedSha256(HexFormat.of().parseHex(ticket.sha256()))
          .build();
    }

    public static Config defaults(
        InetSocketAddress group,
        NetworkInterface iface,
        int sessionId,
        int sourceId,
        ReceiverSecrets secrets,
        SectionDigests sections) {
      return builder(group, iface, sessionId, sourceId, secrets, sections).build();
    }

    /** A builder holding the defaults, to change some of them. */
    public static Builder builder(
        InetSocketAddress group,
        NetworkInterface iface,
        int sessionId,
        int sourceId,
        ReceiverSecrets secrets,
        SectionDigests sections) {
      Builder b = new Builder();
      b.group = group;
      b.iface = iface;
      b.sessionId = sessionId;
      b.sourceId = sourceId;
      b.secrets = secrets;
      b.sections = sections;
      return b;
    }

    /** The settings a receiver runs with, the defaults unless set. */
    public static final class Builder {
      private InetSocketAddress group;
      private NetworkInterface iface;
      private int sessionId;
      private int sourceId;
      private ReceiverSecrets secrets;
      private SectionDigests sections;
      private boolean encrypted;
      private Duration nakBackoffMax = Duration.ofMillis(40);
      private Duration idleTimeout = Duration.ofMillis(250);
      private Duration senderLostTimeout = SENDER_LOST_TIMEOUT;
      private DataDropFilter dropFilter = DataDropFilter.NONE;
      private byte[] expectedSha256;

      private Builder() {}

      public Builder encrypted(boolean value) {
        encrypted = value;
        return this;
      }

      public Builder senderLostTimeout(Duration value) {
        senderLostTimeout = value;
        return this;
      }

      public Builder dropFilter(DataDropFilter value) {
        dropFilter = value;
        return this;
      }

      public Builder expectedSha256(byte[] value) {
        expectedSha256 = value;
        return this;
      }

      public Config build() {
        return new Config(
            group,
            iface,
            sessionId,
            sourceId,
            secrets,
            sections,
            encrypted,
            nakBackoffMax,
            idleTimeout,
            senderLostTimeout,
            dropFilter,
            expectedSha256);
      }
    }
  }

  private final Config config;
  private final Path output;
  private final long offset;
  private final SessionCodec codec;
  private final EventLoopGroup group;
  private final CompletableFuture<ReceiveResult> result = new CompletableFuture<>();
  private final String session;

  // Event-loop state.
  private DatagramChannel channel;
  private volatile Announce announce;
  private FileChannel out;
  private BitSet held;
  // Read by progress displays on other threads; written by the receive thread only.
  private volatile long heldCount;
  private InetSocketAddress senderAddress;
  private int lastPass;
  private long lastPacketNanos;
  private ScheduledFuture<?> pendingNak;
  private long dataOrdinal;
  private long duplicates;
  private long naksSent;
  private long naksSuppressed;
  private long droppedForTest;
  private long announcesSkipped;
  // The sender's datagrams in the current loss interval: its highest authenticated sequence, the
  // sequence before the interval, and how many arrived.
  private long senderSequence = -1;
  private long intervalStart;
  private long intervalReceived;
  private long intervalStartNanos;
  private long congestedReports;
  // The kernel's counters of this receiver's socket (set by start(), read on the event loop), and
  // what tells its own overflow from loss on the way.
  private volatile SocketDrops socketDrops = SocketDrops.UNKNOWN;
  private final LossJudge lossJudge = new LossJudge();
  private long blocksRebuilt;
  private long missingAtFirstPassEnd = -1;
  // Per section: blocks held, and whether the held blocks matched the section's digest.
  private int[] sectionHeld;
  private BitSet verifiedSections;
  private SectionStore store;
  private long forgedSections;
  private final Map<Long, List<ParityCode.Parity>> parities = new HashMap<>();
  private boolean finished;
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();

  public MulticastReceiver(Config config, Path output) {
    this(config, output, 0);
  }

  /**
   * Writes the image at {@code offset} of {@code output}: a partition that is a byte range of a
   * disk (or of a file standing in for one). With a non-zero offset the file is never truncated.
   */
  public MulticastReceiver(Config config, Path output, long offset) {
    if (offset < 0) {
      throw new IllegalArgumentException("offset " + offset);
    }
    this.config = config;
    this.output = output;
    this.offset = offset;
    this.codec =
        SessionCodec.forReceiver(
            config.secrets(), config.sessionId(), config.sourceId(), config.encrypted());
    this.group = new MultiThreadIoEventLoopGroup(1, DatagramTransport.ioHandlerFactory());
    this.session = Integer.toUnsignedString(config.sessionId());
  }

  /** Binds the group's port and joins the group; the future completes with the outcome. */
  public CompletableFuture<ReceiveResult> start() throws InterruptedException {
    Bootstrap b =
        new Bootstrap()
            .group(group)
            .channelFactory(DatagramTransport::newChannel)
            // Several receivers (and sessions) on one host share the port.
            .option(ChannelOption.SO_REUSEADDR, true)
            .option(ChannelOption.IP_MULTICAST_IF, config.iface())
            .option(ChannelOption.SO_RCVBUF, 8 << 20)
            .handler(new Handler());
    DatagramTransport.batchedReceive(b);
    channel =
        (DatagramChannel) b.bind(new InetSocketAddress(config.group().getPort())).sync().channel();
    channel.joinGroup(config.group(), config.iface()).sync();
    socketDrops = SocketDrops.of(channel);
    long checkMillis = Math.max(10, config.idleTimeout().toMillis() / 2);
    channel
        .eventLoop()
        .scheduleAtFixedRate(this::checkIdle, checkMillis, checkMillis, TimeUnit.MILLISECONDS);
    LOG.info(
        "multicast receiver joined session={} source={} group={} iface={} transport={}",
        session,
        Integer.toUnsignedString(config.sourceId()),
        config.group(),
        config.iface().getName(),
        DatagramTransport.name());
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
    if (heldCount > 0
        && FrameCodec.claims(packet.content(), MessageType.ANNOUNCE, WireFormat.SENDER_SOURCE_ID)) {
      // The sender repeats its ANNOUNCE every 100 ms for late joiners. Once this receiver has the
      // parameters and holds blocks, another ANNOUNCE changes nothing, so its signature, the
      // costliest check of all, is not verified: skipped, not trusted. It did arrive, so it counts
      // as received for the loss estimate (its unchecked sequence number is not used).
      announcesSkipped++;
      intervalReceived++;
      return;
    }
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
      if (e.reason() == DecodeException.Reason.BAD_SIGNATURE) {
        leaveIfAttacked();
      }
      return;
    }
    try {
      if (in.header().sourceId() != WireFormat.SENDER_SOURCE_ID || finished) {
        return; // another receiver's feedback, or we are done
      }
      senderAddress = packet.sender();
      lastPacketNanos = System.nanoTime();
      countForLoss(in.header().sequence(), lastPacketNanos);
      Message m = in.message();
      if (m instanceof Announce a) {
        onAnnounce(a);
      } else if (m instanceof DataBlock d) {
        onData(d);
      } else if (m instanceof ParityBlock p) {
        onParity(p);
      } else if (m instanceof PassEnd p) {
        lastPass = p.pass();
        if (missingAtFirstPassEnd < 0 && announce != null) {
          missingAtFirstPassEnd = announce.blockCount() - heldCount;
        }
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

  /**
   * Tracks the share of the sender's datagrams this receiver loses, from the gaps in their sequence
   * numbers (every datagram of the sender takes the next one, whatever it carries), and tells the
   * sender it is outrun when an interval lost at least {@link Status#CONGESTED_LOSS} on the way:
   * the sender then slows down within the pass instead of at its end. Only authenticated sequence
   * numbers move the count. {@link LossJudge} tells datagrams dropped at this receiver's own full
   * socket, which count only when that goes on, from loss on the way.
   */
  private void countForLoss(long sequence, long now) {
    if (senderSequence < 0) {
      senderSequence = sequence;
      intervalStart = sequence;
      intervalStartNanos = now;
      lossJudge.judge(socketDrops.read(), now, 0, 0);
      return;
    }
    if (sequence > intervalStart) {
      intervalReceived++;
    }
    senderSequence = Math.max(senderSequence, sequence);
    if (now - intervalStartNanos < LOSS_INTERVAL_NANOS) {
      return;
    }
    long expected = senderSequence - intervalStart;
    if (expected < LOSS_MIN_DATAGRAMS && now - intervalStartNanos < LOSS_MAX_INTERVAL_NANOS) {
      return; // a slow sender: the interval lasts until it holds enough datagrams to judge
    }
    LossJudge.Congested congested =
        lossJudge.judge(socketDrops.read(), now, expected, intervalReceived);
    if (announce != null && !finished && expected >= LOSS_MIN_DATAGRAMS && congested != null) {
      send(new Status(Status.State.CONGESTED, congested.received(), congested.lost()));
      congestedReports++;
    }
    intervalStart = senderSequence;
    intervalReceived = 0;
    intervalStartNanos = now;
  }

  private void onAnnounce(Announce a) throws IOException {
    if (config.expectedSha256() != null
        && !MessageDigest.isEqual(config.expectedSha256(), a.sha256())) {
      LOG.warn("multicast announce for another image session={}; ignored", session);
      return;
    }
    if (!config.sections().fits(a)) {
      LOG.warn(
          "multicast announce does not fit the ticket's section digests session={}; ignored",
          session);
      return;
    }
    if (heldCount == 0) {
      // Hello: the sender starts the first pass once every expected receiver has said it.
      send(new Status(Status.State.RECEIVING, 0, a.blockCount()));
    }
    if (announce != null) {
      if (!announce.equals(a)) {
        LOG.warn("multicast announce changed mid-session session={}; ignored", session);
      }
      return;
    }
    announce = a;
    held = new BitSet((int) a.blockCount());
    sectionHeld = new int[(int) a.sectionCount()];
    verifiedSections = new BitSet((int) a.sectionCount());
    out =
        offset == 0
            ? FileChannel.open(
                output,
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.READ,
                StandardOpenOption.TRUNCATE_EXISTING)
            : FileChannel.open(
                output,
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.READ);
    store = new SectionStore(out, output, offset, a, config.sections().sectionBytes());
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
    store.write(block, d.data());
    markHeld(block);
    if (!checkSection(block / announce.blocksPerSection()) || finished) {
      return;
    }
    if (heldCount == announce.blockCount()) {
      finish();
      return;
    }
    if (announce.fecGroupBlocks() > 0) {
      tryRebuild(block / announce.fecGroupBlocks());
    }
  }

  private void markHeld(int block) {
    held.set(block);
    heldCount++;
    sectionHeld[block / announce.blocksPerSection()]++;
  }

  /**
   * Once section {@code s} holds all its blocks, reads them back and checks them against the
   * section's digest. A section that does not match is dropped (its blocks and parity rows
   * forgotten, to be asked for again); after {@link #FORGERIES_BEFORE_LEAVING} the receiver leaves.
   * Returns false when the section was dropped.
   */
  private boolean checkSection(int s) throws IOException {
    int bps = announce.blocksPerSection();
    int first = s * bps;
    int end = (int) Math.min(announce.blockCount(), first + (long) bps);
    if (sectionHeld[s] < end - first || verifiedSections.get(s)) {
      return true;
    }
    ByteBuffer bytes = store.section(s);
    if (config.sections().matches(s, bytes.duplicate())) {
      verifiedSections.set(s);
      store.verified(s, bytes);
      return true;
    }
    store.dropped(s);
    forgedSections++;
    held.clear(first, end);
    heldCount -= end - first;
    sectionHeld[s] = 0;
    int g = announce.fecGroupBlocks();
    if (g > 0) {
      for (int groupStart = first; groupStart < end; groupStart += g) {
        parities.remove((long) (groupStart / g));
      }
    }
    LOG.warn(
        "multicast section {} does not match its digest: forged by a joined receiver; dropped"
            + " session={} forgedSections={}",
        s,
        session,
        forgedSections);
    if (!leaveIfAttacked()) {
      scheduleNak();
    }
    return false;
  }

  /**
   * Leaves the session once forged traffic reached {@link #FORGERIES_BEFORE_LEAVING}: says LEAVING
   * so the sender stops waiting, and ends INCOMPLETE with the sections that matched their digests.
   */
  private boolean leaveIfAttacked() {
    long forgeries = forgedSections + codec.rejected(DecodeException.Reason.BAD_SIGNATURE);
    if (finished || forgeries < FORGERIES_BEFORE_LEAVING) {
      return false;
    }
    if (senderAddress != null && announce != null) {
      for (int i = 0; i < STATUS_REPEATS; i++) {
        send(new Status(Status.State.LEAVING, heldCount, announce.blockCount() - heldCount));
      }
    }
    stopReceiving();
    LOG.warn(
        "multicast receiver leaves a session under attack session={} forgedSections={}"
            + " badSignatures={}; the rest comes by unicast",
        session,
        forgedSections,
        codec.rejected(DecodeException.Reason.BAD_SIGNATURE));
    result.complete(resultOf(ReceiveResult.Outcome.INCOMPLETE, null));
    return true;
  }

  private void onParity(ParityBlock p) throws IOException {
    if (announce == null
        || announce.fecGroupBlocks() == 0
        || p.group() >= announce.groupCount()
        || p.data().readableBytes() != announce.blockSize()) {
      return;
    }
    if (missingIn(p.group()) == 0) {
      duplicates++;
      return;
    }
    List<ParityCode.Parity> list = parities.computeIfAbsent(p.group(), g -> new ArrayList<>());
    for (ParityCode.Parity have : list) {
      if (have.row() == p.row()) {
        duplicates++;
        return;
      }
    }
    byte[] bytes = new byte[announce.blockSize()];
    p.data().getBytes(p.data().readerIndex(), bytes);
    list.add(new ParityCode.Parity(p.row(), bytes));
    tryRebuild(p.group());
  }

  private int missingIn(long group) {
    int first = (int) (group * announce.fecGroupBlocks());
    int end = (int) Math.min(announce.blockCount(), first + (long) announce.fecGroupBlocks());
    return (end - first) - held.get(first, end).cardinality();
  }

  /** Rebuilds a group's missing blocks once it holds as many parity rows as it has gaps. */
  private void tryRebuild(long group) throws IOException {
    List<ParityCode.Parity> list = parities.get(group);
    if (list == null) {
      return;
    }
    int missing = missingIn(group);
    if (missing == 0) {
      parities.remove(group);
      return;
    }
    if (list.size() < missing) {
      return;
    }
    int first = (int) (group * announce.fecGroupBlocks());
    int count = (int) Math.min(announce.fecGroupBlocks(), announce.blockCount() - first);
    byte[][] blocks = new byte[count][];
    for (int i = 0; i < count; i++) {
      if (held.get(first + i)) {
        blocks[i] = new byte[announce.blockLength(first + i)];
        store.read(first + i, blocks[i], blocks[i].length);
      }
    }
    ParityCode.decode(blocks, list, announce.blockSize());
    parities.remove(group);
    for (int i = 0; i < count; i++) {
      int block = first + i;
      if (!held.get(block)) {
        store.write(block, blocks[i], announce.blockLength(block));
        markHeld(block);
        blocksRebuilt++;
      }
    }
    if (checkSection(first / announce.blocksPerSection())
        && !finished
        && heldCount == announce.blockCount()) {
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
      withoutCoveredByParity(first, end, missing);
      if (missing.isEmpty()) {
        continue;
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

  /**
   * Leaves out of a section's NAK as many gaps per FEC group as parity rows the receiver already
   * holds for it: the sender then sends only the rows still needed, and any listed blocks resent as
   * DATA leave exactly as many gaps as rows in hand.
   */
  private void withoutCoveredByParity(int first, int end, BitSet missing) {
    int g = announce.fecGroupBlocks();
    if (g == 0 || parities.isEmpty()) {
      return;
    }
    for (int groupStart = first; groupStart < end; groupStart += g) {
      List<ParityCode.Parity> have = parities.get((long) (groupStart / g));
      int skip = have == null ? 0 : have.size();
      for (int i = missing.nextSetBit(groupStart - first);
          i >= 0 && i < groupStart - first + g && skip > 0;
          i = missing.nextSetBit(i + 1)) {
        missing.clear(i);
        skip--;
      }
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
    long silentNanos = System.nanoTime() - lastPacketNanos;
    if (silentNanos > config.senderLostTimeout().toNanos()) {
      onSenderLost(silentNanos);
      return;
    }
    if (silentNanos > config.idleTimeout().toNanos()) {
      // Every PASS_END may have been lost; ask anyway.
      scheduleNak();
    }
  }

  private void finish() throws IOException {
    finished = true;
    out.force(false);
    String actual = store.imageSha256();
    out.close();
    byte[] expected = config.expectedSha256() != null ? config.expectedSha256() : announce.sha256();
    boolean match = actual.equals(HexFormat.of().formatHex(expected));
    Status.State state = match ? Status.State.VERIFIED : Status.State.DIGEST_MISMATCH;
    for (int i = 0; i < STATUS_REPEATS; i++) {
      send(new Status(state, heldCount, 0));
    }
    ReceiveResult.Outcome outcome =
        match ? ReceiveResult.Outcome.VERIFIED : ReceiveResult.Outcome.DIGEST_MISMATCH;
    LOG.info(
        "multicast receiver done session={} source={} outcome={} sha256={} duplicates={} naks={}"
            + " suppressed={} rebuiltFromParity={} readBackBytes={} announcesSkipped={}"
            + " congestedReports={} overflowed={}",
        session,
        Integer.toUnsignedString(config.sourceId()),
        outcome,
        actual,
        duplicates,
        naksSent,
        naksSuppressed,
        blocksRebuilt,
        store.readBackBytes(),
        announcesSkipped,
        congestedReports,
        lossJudge.overflowed());
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

  private void onSenderLost(long silentNanos) {
    stopReceiving();
    LOG.warn(
        "multicast sender silent for {} ms; giving up on the session session={} sender={}"
            + " missing={}",
        TimeUnit.NANOSECONDS.toMillis(silentNanos),
        session,
        senderAddress,
        announce.blockCount() - heldCount);
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
        blocksRebuilt,
        Math.max(0, missingAtFirstPassEnd),
        codec.rejectedTotal(),
        forgedSections,
        codec.rejected(DecodeException.Reason.BAD_SIGNATURE),
        congestedReports,
        lossJudge.overflowed());
  }

  /**
   * How many bytes of the image this receiver has written so far (approximately, while running).
   */
  public long heldBytes() {
    Announce a = announce;
    return a == null ? 0 : Math.min(heldCount * a.blockSize(), a.fileSize());
  }

  /**
   * The blocks of the sections that matched their digests, once the result is complete: what a
   * unicast fallback need not fetch again. A section not yet whole is left out, since a forged
   * block in it could not be checked. Empty when the receiver never heard an {@code ANNOUNCE}.
   */
  public BitSet heldBlocks() {
    BitSet good = new BitSet();
    if (held == null) {
      return good;
    }
    int bps = announce.blocksPerSection();
    for (int s = verifiedSections.nextSetBit(0); s >= 0; s = verifiedSections.nextSetBit(s + 1)) {
      good.set(s * bps, (int) Math.min(announce.blockCount(), (long) s * bps + bps));
    }
    return good;
  }

  @Override
  public void close() {
    if (closed.getAndSet(true)) {
      return;
    }
    if (channel != null) {
      channel.eventLoop().execute(this::stopReceiving);
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

  /** Ends reception on the event loop: no more NAKs, the output closed. */
  private void stopReceiving() {
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
