package io.osdeploy.daemon.multicast;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.osdeploy.transfer.net.DatagramTransport;
import io.osdeploy.transfer.wire.Announce;
import io.osdeploy.transfer.wire.DataBlock;
import io.osdeploy.transfer.wire.DecodeException;
import io.osdeploy.transfer.wire.Message;
import io.osdeploy.transfer.wire.Nak;
import io.osdeploy.transfer.wire.ParityBlock;
import io.osdeploy.transfer.wire.ParityCode;
import io.osdeploy.transfer.wire.PassEnd;
import io.osdeploy.transfer.wire.SenderSecrets;
import io.osdeploy.transfer.wire.SessionCodec;
import io.osdeploy.transfer.wire.SessionEnd;
import io.osdeploy.transfer.wire.Status;
import io.osdeploy.transfer.wire.WireFormat;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one file to a multicast group: ANNOUNCE until the expected receivers said hello, a first
 * pass over every block, then repair passes (resent blocks and FEC parity) planned from the
 * receivers' NAKs, until every expected receiver reports VERIFIED or feedback stops. The rate backs
 * off when the worst receiver's loss rises. The send loop runs on its own thread because pacing
 * blocks; NAKs and STATUS arrive on the channel's event loop.
 */
public final class MulticastSender implements SessionSender {
  private static final Logger LOG = LoggerFactory.getLogger(MulticastSender.class);
  // Often enough that a late joiner loses little of the running pass before it can write blocks;
  // ten datagrams a second cost nothing next to the data.
  private static final long ANNOUNCE_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final int PASS_END_REPEATS = 3;
  // Blocks read with one system call: a pass reads the file in runs of about 90 KB.
  private static final int READ_WINDOW_BLOCKS = 64;
  // How often the send loop looks at congestion reports, and how long without one before it
  // speeds up again within a pass.
  private static final long RATE_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final long QUIET_BEFORE_SPEEDUP_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
  // After a cut, reports still describe the old rate for about one loss interval of the
  // receivers: they are not heeded for this long.
  private static final long HOLD_AFTER_CUT_NANOS = TimeUnit.MILLISECONDS.toNanos(300);
  // After the collect window, the longest wait for receivers of the pass not heard from yet.
  private static final long LATE_NAK_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
  // Parity is computed for this many groups at a time, then sent row by row across them, so a
  // burst of loss takes at most one row of each group.
  private static final int PARITY_BATCH_GROUPS = 64;
  static final double EVICT_LOSS = 0.5;
  static final int EVICT_AFTER_PASSES = 4;

  /** What the sender needs to run one session. */
  public record Config(
      InetSocketAddress group,
      NetworkInterface iface,
      int sessionId,
      SenderSecrets secrets,
      boolean encrypt,
      double rateMbps,
      int blockSize,
      int blocksPerSection,
      int fecGroupBlocks,
      int expectedReceivers,
      Duration readyWait,
      Duration collectWindow,
      int quietWindowsToEnd,
      Duration straggleTimeout,
      Duration maxDuration) {

    /** Defaults from docs/multicast-protocol.md for the given group, key and rate. */
    public static Config defaults(
        InetSocketAddress group,
        NetworkInterface iface,
        int sessionId,
        SenderSecrets secrets,
        double rateMbps,
        int expectedReceivers) {
      return builder(group, iface, sessionId, secrets, rateMbps, expectedReceivers).build();
    }

    /** A builder holding the defaults, to change some of them. */
    public static Builder builder(
        InetSocketAddress group,
        NetworkInterface iface,
        int sessionId,
        SenderSecrets secrets,
        double rateMbps,
        int expectedReceivers) {
      Builder b = new Builder();
      b.group = group;
      b.iface = iface;
      b.sessionId = sessionId;
      b.secrets = secrets;
      b.rateMbps = rateMbps;
      b.expectedReceivers = expectedReceivers;
      return b;
    }

    /** The settings a session sender runs with, the protocol's defaults unless set. */
    public static final class Builder {
      private InetSocketAddress group;
      private NetworkInterface iface;
      private int sessionId;
      private SenderSecrets secrets;
      private boolean encrypt;
      private double rateMbps;
      private int blockSize = WireFormat.DEFAULT_BLOCK_SIZE;
      private int blocksPerSection = WireFormat.DEFAULT_BLOCKS_PER_SECTION;
      private int fecGroupBlocks = WireFormat.DEFAULT_FEC_GROUP_BLOCKS;
      private int expectedReceivers;
      private Duration readyWait = Duration.ofSeconds(2);
      private Duration collectWindow = Duration.ofMillis(60);
      private int quietWindowsToEnd = 3;
      private Duration straggleTimeout = Duration.ofSeconds(10);
      private Duration maxDuration = Duration.ofMinutes(30);

      private Builder() {}

      public Builder encrypt(boolean value) {
        encrypt = value;
        return this;
      }

      public Builder fecGroupBlocks(int value) {
        fecGroupBlocks = value;
        return this;
      }

      public Builder readyWait(Duration value) {
        readyWait = value;
        return this;
      }

      public Builder straggleTimeout(Duration value) {
        straggleTimeout = value;
        return this;
      }

      public Builder maxDuration(Duration value) {
        maxDuration = value;
        return this;
      }

      public Config build() {
        return new Config(
            group,
            iface,
            sessionId,
            secrets,
            encrypt,
            rateMbps,
            blockSize,
            blocksPerSection,
            fecGroupBlocks,
            expectedReceivers,
            readyWait,
            collectWindow,
            quietWindowsToEnd,
            straggleTimeout,
            maxDuration);
      }
    }
  }

  /** How a session went. Bytes are on the wire: datagrams plus IPv4 and UDP headers. */
  public record Result(
      SessionEnd.Reason reason,
      int passes,
      long dataPackets,
      long repairPackets,
      long parityPackets,
      long bytesSent,
      long repairBytes,
      long naksReceived,
      int verifiedReceivers,
      long rejectedDatagrams,
      double finalRateMbps) {}

  private final Config config;
  private final Path file;
  private final Announce announce;
  private final SessionCodec codec;
  private final EventLoopGroup group;
  private final RepairPlanner planner;
  private final Set<Integer> verified = new HashSet<>();
  private final Set<Integer> heard = new HashSet<>();
  // Receivers that left (forged traffic made them go unicast) or were evicted for NAKing most of
  // every pass: the session no longer waits for them, and their NAKs are ignored.
  private final Set<Integer> gone = new HashSet<>();
  private final Map<Integer, Integer> lossyPasses = new java.util.HashMap<>();
  // CONGESTED reports since the send loop last looked: the worst loss per receiver (event loop
  // writes, send loop drains).
  private final Map<Integer, Double> congestion = new java.util.concurrent.ConcurrentHashMap<>();
  // Receivers that NAKed in the current collect window, and since the send loop last judged
  // congestion reports (event loop adds).
  private final Set<Integer> nakedThisWindow = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final Set<Integer> nakedSinceJudged = java.util.concurrent.ConcurrentHashMap.newKeySet();
  // The send loop's: receivers that reported congestion this pass and the last, those that NAKed
  // during the last pass, receivers whose reports are not believed (they said congested but
  // NAKed nothing) and for how many more passes, receivers that stopped counting for the rate, and
  // the in-pass pacing state.
  private final Set<Integer> congestedThisPass = new HashSet<>();
  private final Set<Integer> congestedLastPass = new HashSet<>();
  private final Set<Integer> nakedLastPass = new HashSet<>();
  private final Map<Integer, Integer> doubted = new java.util.HashMap<>();
  private final Set<Integer> unrated = new HashSet<>();
  private RateController rate;
  private TokenBucket pacer;
  private long lastRateCheckNanos;
  private long lastCongestionNanos;
  private long lastCutNanos;
  private final AtomicLong naksReceived = new AtomicLong();
  private final AtomicLong evicted = new AtomicLong();
  private final AtomicLong bytesSent = new AtomicLong();
  private final AtomicLong repairBytes = new AtomicLong();
  private final CompletableFuture<Result> result = new CompletableFuture<>();
  private final Object expectedLock = new Object();
  private int expected;
  private boolean ending;
  private volatile long lastFeedbackNanos = System.nanoTime();
  private volatile Channel channel;
  // The send loop's, created when it starts.
  private DatagramBatch batch;
  private volatile boolean closed;
  private volatile int currentPass;

  public MulticastSender(Config config, Path file, byte[] sha256, String imageName)
      throws IOException {
    if (config.blockSize() < 1 || config.blockSize() > WireFormat.MAX_BLOCK_SIZE) {
      throw new IllegalArgumentException("blockSize " + config.blockSize());
    }
    this.config = config;
    this.file = file;
    long size = Files.size(file);
    if (size <= 0 || Announce.ceilDiv(size, config.blockSize()) > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(file + " has " + size + " bytes; too small or too large");
    }
    long rateKbps = (long) (config.rateMbps() * 1000);
    this.announce =
        Announce.of(
            size,
            config.blockSize(),
            config.blocksPerSection(),
            config.fecGroupBlocks(),
            rateKbps,
            sha256,
            imageName);
    this.planner =
        new RepairPlanner(
            announce.blockCount(), config.blocksPerSection(), config.fecGroupBlocks());
    this.codec = SessionCodec.forSender(config.secrets(), config.sessionId(), config.encrypt());
    this.expected = config.expectedReceivers();
    this.group = new MultiThreadIoEventLoopGroup(1, DatagramTransport.ioHandlerFactory());
  }

  /** The factory {@link MulticastSessions} uses: a real sender, started. */
  static SessionSender.Factory factory() {
    return (config, image) -> {
      byte[] sha = java.util.HexFormat.of().parseHex(image.sha256());
      MulticastSender sender = new MulticastSender(config, image.file(), sha, image.name());
      try {
        sender.start();
      } catch (InterruptedException | RuntimeException e) {
        sender.close();
        throw e;
      }
      return sender;
    };
  }

  /** Binds the channel and starts the send loop; the future completes when the session ends. */
  public CompletableFuture<Result> start() throws InterruptedException {
    Bootstrap b =
        new Bootstrap()
            .group(group)
            .channelFactory(DatagramTransport::newChannel)
            .option(ChannelOption.SO_REUSEADDR, true)
            .option(ChannelOption.IP_MULTICAST_IF, config.iface())
            .option(ChannelOption.IP_MULTICAST_TTL, 1)
            .option(ChannelOption.SO_SNDBUF, 4 << 20)
            .handler(new FeedbackHandler());
    // Feedback comes unicast to whatever address the receivers see as the packets' source.
    channel = b.bind(new InetSocketAddress(0)).sync().channel();
    Thread loop = new Thread(this::runSession, "mc-sender-" + config.sessionId());
    loop.setDaemon(true);
    loop.start();
    return result;
  }

  @Override
  public CompletableFuture<Result> result() {
    return result;
  }

  /**
   * Counts one more receiver the session waits for (a late joiner). Returns false when the session
   * is already ending: the caller must put the receiver in another session.
   */
  @Override
  public boolean addExpectedReceiver() {
    synchronized (expectedLock) {
      if (ending || closed) {
        return false;
      }
      expected++;
      lastFeedbackNanos = System.nanoTime();
      return true;
    }
  }

  /**
   * A receiver the session already counts joined again (its machine restarted): as good as
   * feedback, so the straggle timeout starts over and the restarted receiver has time to ask for
   * what it missed.
   */
  @Override
  public void receiverRejoined() {
    lastFeedbackNanos = System.nanoTime();
  }

  @Override
  public long bytesSent() {
    return bytesSent.get();
  }

  @Override
  public long repairBytes() {
    return repairBytes.get();
  }

  /** The pass being sent: 0 for the first, then one per repair pass. */
  @Override
  public int pass() {
    return currentPass;
  }

  @Override
  public long naksReceived() {
    return naksReceived.get();
  }

  /** Feedback datagrams dropped for {@code reason}. */
  public long rejected(DecodeException.Reason reason) {
    return codec.rejected(reason);
  }

  private void runSession() {
    long deadline = System.nanoTime() + config.maxDuration().toNanos();
    rate = new RateController(RateController.defaults(config.rateMbps()));
    pacer = new TokenBucket(rate.rateMbps(), DatagramBatch.maxWireBytes());
    batch = new DatagramBatch(channel, config.group(), codec, pacer);
    lastRateCheckNanos = lastCongestionNanos = lastCutNanos = System.nanoTime();
    long blockCount = announce.blockCount();
    long dataPackets = 0;
    long repairPackets = 0;
    long parityPackets = 0;
    int pass = 0;
    int quiet = 0;
    BitSet toSend = new BitSet();
    toSend.set(0, (int) blockCount);
    RepairPlanner.Plan plan = new RepairPlanner.Plan(toSend, List.of());
    SessionEnd.Reason reason;
    LOG.info(
        "multicast send start session={} group={} file={} bytes={} blocks={} sections={}"
            + " fecGroup={} rateMbps={}",
        Integer.toUnsignedString(config.sessionId()),
        config.group(),
        file,
        announce.fileSize(),
        blockCount,
        announce.sectionCount(),
        config.fecGroupBlocks(),
        config.rateMbps());
    try (FileChannel image = FileChannel.open(file, StandardOpenOption.READ);
        BlockReader in = new BlockReader(image, file, announce, READ_WINDOW_BLOCKS)) {
      awaitReceivers();
      long[] lastAnnounce = {System.nanoTime()};
      while (true) {
        if (closed || System.nanoTime() > deadline) {
          reason = SessionEnd.Reason.ABORTED;
          break;
        }
        Set<Integer> presentAtStart = heardSnapshot();
        BitSet sentBlocks = plan.dataBlocks();
        int sent = 0;
        for (int block = sentBlocks.nextSetBit(0);
            block >= 0 && !closed;
            block = sentBlocks.nextSetBit(block + 1)) {
          heartbeat(lastAnnounce);
          sendBlock(in, pass, block);
          sent++;
        }
        int parity = sendParity(in, pass, plan.parity(), lastAnnounce);
        if (pass == 0) {
          dataPackets += sent;
        } else {
          repairPackets += sent + parity;
          parityPackets += parity;
        }
        // A late joiner may have missed every ANNOUNCE so far; it needs one to NAK at all.
        send(announce, pass);
        lastAnnounce[0] = System.nanoTime();
        for (int i = 0; i < PASS_END_REPEATS; i++) {
          send(new PassEnd(pass, sent + parity), pass);
          Thread.sleep(2);
        }
        if (sent + parity > 0) {
          // Receivers stay quiet while a pass is sent; silence counts from the pass's end, so
          // that a long first pass does not use up the straggle timeout before anyone could
          // answer (busy receivers still hashing, a restarted one about to ask for its gaps).
          lastFeedbackNanos = System.nanoTime();
        }
        Thread.sleep(config.collectWindow().toMillis());
        awaitLateNaks(presentAtStart);
        if (finishedAllVerified()) {
          reason = SessionEnd.Reason.ALL_VERIFIED;
          break;
        }
        Set<Integer> rated = new HashSet<>(presentAtStart);
        if (sent + parity > 0) {
          Set<Integer> hopeless = hopeless(sentBlocks, presentAtStart);
          rated.removeAll(hopeless);
          unrated.clear(); // a receiver that caught up counts again
          unrated.addAll(hopeless);
          judgeCongestionReports();
        }
        double loss = planner.worstLoss(sentBlocks, rated);
        if (sent + parity > 0) {
          double before = rate.rateMbps();
          pacer.setRate(rate.onLoss(loss));
          if (rate.rateMbps() != before) {
            LOG.info(
                "multicast rate session={} worstLoss={} rateMbps={}",
                Integer.toUnsignedString(config.sessionId()),
                String.format("%.3f", loss),
                String.format("%.1f", rate.rateMbps()));
          }
        }
        nakedThisWindow.clear();
        plan = planner.take();
        if (plan.isEmpty()) {
          if (waitingForStragglers()) {
            if (System.nanoTime() - lastFeedbackNanos > config.straggleTimeout().toNanos()) {
              reason = SessionEnd.Reason.IDLE;
              break;
            }
          } else if (++quiet >= config.quietWindowsToEnd() && endIfStillIdle()) {
            reason = SessionEnd.Reason.IDLE;
            break;
          }
          // A receiver that missed every PASS_END hears the next one and NAKs then.
          continue;
        }
        quiet = 0;
        pass = Math.min(pass + 1, 0xFFFF);
        currentPass = pass;
        LOG.info(
            "multicast repair pass session={} pass={} blocks={} parityRows={}",
            Integer.toUnsignedString(config.sessionId()),
            pass,
            plan.dataBlocks().cardinality(),
            plan.packets() - plan.dataBlocks().cardinality());
        send(announce, pass);
        lastAnnounce[0] = System.nanoTime();
      }
      markEnding();
      for (int i = 0; i < PASS_END_REPEATS; i++) {
        send(new SessionEnd(reason, pass), pass);
      }
      Result r =
          new Result(
              reason,
              pass + 1,
              dataPackets,
              repairPackets,
              parityPackets,
              bytesSent.get(),
              repairBytes.get(),
              naksReceived.get(),
              verifiedOnly(),
              codec.rejectedTotal(),
              rate.rateMbps());
      LOG.info(
          "multicast send end session={} reason={} passes={} data={} repairs={} parity={}"
              + " bytes={} repairBytes={} naks={} verified={} rejected={}",
          Integer.toUnsignedString(config.sessionId()),
          reason,
          r.passes(),
          dataPackets,
          repairPackets,
          parityPackets,
          r.bytesSent(),
          r.repairBytes(),
          r.naksReceived(),
          r.verifiedReceivers(),
          r.rejectedDatagrams());
      result.complete(r);
    } catch (IOException | RuntimeException e) {
      markEnding();
      LOG.error("multicast send failed session={}", config.sessionId(), e);
      result.completeExceptionally(e);
    } catch (InterruptedException e) {
      markEnding();
      Thread.currentThread().interrupt();
      result.completeExceptionally(e);
    } finally {
      batch.discard();
    }
  }

  /**
   * ANNOUNCE until every expected receiver has said hello (STATUS RECEIVING) or the ready wait is
   * over, so receivers that got their ticket a moment ago do not miss the start of the first pass.
   */
  private void awaitReceivers() throws InterruptedException {
    long until = System.nanoTime() + config.readyWait().toNanos();
    do {
      send(announce, 0);
      if (heardSnapshot().size() >= expectedCount()) {
        return;
      }
      Thread.sleep(20);
    } while (System.nanoTime() < until && !closed);
  }

  /**
   * Waits up to {@link #LATE_NAK_WAIT_NANOS} past the collect window for receivers of the pass that
   * are neither done nor heard from in this window. A busy receiver's NAKs come late; planned with
   * the others', its gaps share parity rows with theirs instead of costing DATA in a pass of their
   * own. Ends as soon as each has NAKed or verified.
   */
  private void awaitLateNaks(Set<Integer> present) throws InterruptedException {
    long until = System.nanoTime() + LATE_NAK_WAIT_NANOS;
    while (!closed && System.nanoTime() < until && anySilent(present)) {
      Thread.sleep(5);
    }
  }

  private boolean anySilent(Set<Integer> present) {
    for (int source : present) {
      boolean done;
      synchronized (verified) {
        done = verified.contains(source);
      }
      if (!done && !isGone(source) && !nakedThisWindow.contains(source)) {
        return true;
      }
    }
    return false;
  }

  private void heartbeat(long[] lastAnnounce) throws InterruptedException {
    long now = System.nanoTime();
    if (now - lastAnnounce[0] > ANNOUNCE_INTERVAL_NANOS) {
      send(announce, 0);
      lastAnnounce[0] = now;
    }
    if (now - lastRateCheckNanos > RATE_CHECK_NANOS) {
      lastRateCheckNanos = now;
      paceWithinPass(now);
    }
  }

  /**
   * Slows down at once when a receiver that counts reports it is outrun (STATUS CONGESTED), and
   * speeds up again after a quiet while, so that a pass does not run at the speed its start allowed
   * (receivers warming up) nor lose half of itself to a receiver the sender outruns.
   */
  private void paceWithinPass(long now) {
    double worst = 0;
    boolean holding = now - lastCutNanos < HOLD_AFTER_CUT_NANOS;
    for (Map.Entry<Integer, Double> e : congestion.entrySet()) {
      int source = e.getKey();
      congestion.remove(source);
      if (isGone(source) || unrated.contains(source) || doubted.containsKey(source)) {
        continue;
      }
      congestedThisPass.add(source);
      if (!holding) {
        worst = Math.max(worst, e.getValue());
      }
    }
    double before = rate.rateMbps();
    if (worst > 0) {
      lastCongestionNanos = lastCutNanos = now;
      pacer.setRate(rate.onCongestion(worst));
    } else if (!holding && now - lastCongestionNanos > QUIET_BEFORE_SPEEDUP_NANOS) {
      lastCongestionNanos = now;
      pacer.setRate(rate.onQuiet());
    }
    if (rate.rateMbps() != before) {
      LOG.debug(
          "multicast pace session={} congestion={} rateMbps={}",
          Integer.toUnsignedString(config.sessionId()),
          String.format("%.3f", worst),
          String.format("%.1f", rate.rateMbps()));
    }
  }

  /**
   * A receiver that said it was outrun during a pass but NAKed nothing then nor in the pass after
   * (a busy receiver's NAKs may come after the pass's collect window) was not: its reports go
   * unheard for the next passes. A joined receiver cannot make the others slow the session down
   * with made-up sequence numbers for longer than two passes this way.
   */
  private void judgeCongestionReports() {
    doubted.replaceAll((source, passes) -> passes - 1);
    doubted.values().removeIf(passes -> passes <= 0);
    Set<Integer> naked = new HashSet<>(nakedSinceJudged);
    nakedSinceJudged.removeAll(naked);
    for (int source : congestedLastPass) {
      if (!nakedLastPass.contains(source) && !naked.contains(source)) {
        doubted.put(source, EVICT_AFTER_PASSES);
        LOG.warn(
            "multicast receiver said it was outrun but lost nothing session={} source={}; its"
                + " reports are not heeded for {} passes",
            Integer.toUnsignedString(config.sessionId()),
            Integer.toUnsignedString(source),
            EVICT_AFTER_PASSES);
      }
    }
    congestedLastPass.clear();
    congestedLastPass.addAll(congestedThisPass);
    congestedThisPass.clear();
    nakedLastPass.clear();
    nakedLastPass.addAll(naked);
  }

  /**
   * Sends the parity rows of {@code runs}, a batch of groups at a time, row by row across the
   * batch. Returns the number of PARITY datagrams sent.
   */
  private int sendParity(
      BlockReader in, int pass, List<RepairPlanner.ParityRun> runs, long[] lastAnnounce)
      throws IOException, InterruptedException {
    int sent = 0;
    for (int from = 0; from < runs.size() && !closed; from += PARITY_BATCH_GROUPS) {
      List<RepairPlanner.ParityRun> batch =
          runs.subList(from, Math.min(runs.size(), from + PARITY_BATCH_GROUPS));
      List<byte[][]> rows = new ArrayList<>(batch.size());
      int maxRows = 0;
      for (RepairPlanner.ParityRun run : batch) {
        byte[][] data = readGroup(in, run.group());
        byte[][] parity = new byte[run.count()][];
        for (int k = 0; k < run.count(); k++) {
          parity[k] = ParityCode.encode(run.firstRow() + k, data, announce.blockSize());
        }
        rows.add(parity);
        maxRows = Math.max(maxRows, run.count());
      }
      for (int k = 0; k < maxRows; k++) {
        for (int j = 0; j < batch.size(); j++) {
          RepairPlanner.ParityRun run = batch.get(j);
          if (k < run.count()) {
            heartbeat(lastAnnounce);
            ByteBuf bytes = Unpooled.wrappedBuffer(rows.get(j)[k]);
            send(new ParityBlock(pass, run.firstRow() + k, run.group(), bytes), pass);
            sent++;
          }
        }
      }
    }
    return sent;
  }

  private byte[][] readGroup(BlockReader in, int groupIndex) throws IOException {
    int g = announce.fecGroupBlocks();
    long first = (long) groupIndex * g;
    int count = (int) Math.min(g, announce.blockCount() - first);
    byte[][] data = new byte[count][];
    for (int i = 0; i < count; i++) {
      data[i] = ByteBufUtil.getBytes(in.block(first + i));
    }
    return data;
  }

  private void sendBlock(BlockReader in, int pass, long block)
      throws IOException, InterruptedException {
    send(new DataBlock(pass, block, in.block(block)), pass);
  }

  /**
   * Hands {@code message} to the batch: DATA and PARITY share writes, a signed control message goes
   * alone, after what the batch held.
   */
  private void send(Message message, int pass) throws InterruptedException {
    int wire;
    if (message.type().signed()) {
      ByteBuf datagram = codec.encode(channel.alloc(), message);
      wire = datagram.readableBytes() + WireFormat.IP_UDP_OVERHEAD;
      batch.addAlone(datagram);
    } else {
      wire = batch.add(message);
    }
    bytesSent.addAndGet(wire);
    if (pass > 0 && (message instanceof DataBlock || message instanceof ParityBlock)) {
      repairBytes.addAndGet(wire);
    }
  }

  private Set<Integer> heardSnapshot() {
    synchronized (heard) {
      return new HashSet<>(heard);
    }
  }

  private int expectedCount() {
    synchronized (expectedLock) {
      return expected;
    }
  }

  private boolean finishedAllVerified() {
    synchronized (expectedLock) {
      if (expected > 0 && doneCount() >= expected) {
        ending = true;
        return true;
      }
      return false;
    }
  }

  private boolean waitingForStragglers() {
    int e = expectedCount();
    return e > 0 && doneCount() < e;
  }

  /** Ends on idle only if no late joiner slipped in since the last check. */
  private boolean endIfStillIdle() {
    synchronized (expectedLock) {
      if (expected > 0 && doneCount() < expected) {
        return false;
      }
      ending = true;
      return true;
    }
  }

  private void markEnding() {
    synchronized (expectedLock) {
      ending = true;
    }
  }

  /** Receivers the session no longer waits for: verified, left or evicted. */
  private int doneCount() {
    Set<Integer> done;
    synchronized (verified) {
      done = new HashSet<>(verified);
    }
    synchronized (gone) {
      done.addAll(gone);
    }
    return done.size();
  }

  private int verifiedOnly() {
    synchronized (verified) {
      return verified.size();
    }
  }

  private boolean isGone(int source) {
    synchronized (gone) {
      return gone.contains(source);
    }
  }

  /**
   * Counts, per receiver, the passes in a row in which it NAKed at least {@link #EVICT_LOSS} of
   * what was sent, and returns those that did so for {@link #EVICT_AFTER_PASSES} passes: a receiver
   * that cannot keep up, or one that asks for everything to keep the session busy. They no longer
   * slow the others down (the rate follows the rest). Once every other receiver the session waits
   * for is done, they are evicted: their NAKs are ignored, the session ends, and they finish by
   * unicast.
   */
  private Set<Integer> hopeless(BitSet sent, Set<Integer> present) {
    Map<Integer, Double> losses = planner.lossBySource(sent, present);
    Set<Integer> hopeless = new HashSet<>();
    for (int source : present) {
      if (isGone(source)) {
        continue;
      }
      double loss = losses.getOrDefault(source, 0.0);
      if (loss < EVICT_LOSS) {
        lossyPasses.remove(source);
      } else if (lossyPasses.merge(source, 1, Integer::sum) >= EVICT_AFTER_PASSES) {
        hopeless.add(source);
      }
    }
    if (!hopeless.isEmpty() && doneCount() + hopeless.size() >= expectedCount()) {
      for (int source : hopeless) {
        synchronized (gone) {
          gone.add(source);
        }
        evicted.incrementAndGet();
        LOG.warn(
            "multicast receiver evicted session={} source={} passes={}: every other receiver is"
                + " done; it finishes by unicast",
            Integer.toUnsignedString(config.sessionId()),
            Integer.toUnsignedString(source),
            EVICT_AFTER_PASSES);
      }
    }
    return hopeless;
  }

  /** Receivers evicted so far. */
  public long evictedReceivers() {
    return evicted.get();
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
        int source = in.header().sourceId();
        if (source == WireFormat.SENDER_SOURCE_ID) {
          return; // another sender with our key: not feedback
        }
        if (isGone(source)) {
          return;
        }
        lastFeedbackNanos = System.nanoTime();
        synchronized (heard) {
          heard.add(source);
        }
        if (in.message() instanceof Nak nak) {
          naksReceived.incrementAndGet();
          nakedSinceJudged.add(source);
          nakedThisWindow.add(source);
          planner.onNak(source, nak);
        } else if (in.message() instanceof Status status) {
          onStatus(source, status, packet.sender());
        }
      } finally {
        in.release();
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
      } else if (status.state() == Status.State.LEAVING) {
        boolean first;
        synchronized (gone) {
          first = gone.add(source);
        }
        if (first) {
          LOG.warn(
              "multicast receiver left session={} source={} from={}: it finishes by unicast",
              Integer.toUnsignedString(config.sessionId()),
              Integer.toUnsignedString(source),
              from);
        }
      } else if (status.state() == Status.State.CONGESTED) {
        long total = status.blocksHeld() + status.blocksMissing();
        if (total > 0) {
          double loss = (double) status.blocksMissing() / total;
          congestion.merge(source, loss, Math::max);
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

  /** Rejected feedback by reason, for metrics. */
  @Override
  public Map<DecodeException.Reason, Long> rejectedByReason() {
    Map<DecodeException.Reason, Long> out = new EnumMap<>(DecodeException.Reason.class);
    for (DecodeException.Reason r : DecodeException.Reason.values()) {
      out.put(r, codec.rejected(r));
    }
    return out;
  }
}
