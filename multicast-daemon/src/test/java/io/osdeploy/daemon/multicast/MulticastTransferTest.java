package io.osdeploy.daemon.multicast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.osdeploy.transfer.receive.MulticastReceiver;
import io.osdeploy.transfer.receive.ReceiveResult;
import io.osdeploy.transfer.wire.Announce;
import io.osdeploy.transfer.wire.DataBlock;
import io.osdeploy.transfer.wire.DecodeException;
import io.osdeploy.transfer.wire.SessionCodec;
import io.osdeploy.transfer.wire.SessionEnd;
import io.osdeploy.transfer.wire.SessionKeys;
import io.osdeploy.transfer.wire.WireFormat;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.NetworkInterface;
import java.net.StandardSocketOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real sender and real receivers over multicast on the loopback interface (Linux delivers
 * multicast on {@code lo} when the socket's multicast interface is set to it).
 */
class MulticastTransferTest {
  private static final int FOUR_MIB = 4 << 20;
  private static final double RATE_MBPS = 400;
  private static NetworkInterface lo;

  @TempDir Path dir;

  @BeforeAll
  static void loopback() throws IOException {
    lo = NetworkInterface.getByName("lo");
  }

  @Test
  void threeReceiversEndWithTheImagesSha256() throws Exception {
    Transfer t = new Transfer(this, dir, FOUR_MIB, false);
    List<ReceiveResult> results =
        t.run(
            MulticastReceiver.DataDropFilter.NONE,
            MulticastReceiver.DataDropFilter.NONE,
            MulticastReceiver.DataDropFilter.NONE);
    for (ReceiveResult r : results) {
      assertEquals(ReceiveResult.Outcome.VERIFIED, r.outcome());
      assertEquals(t.sha256Hex, r.sha256Hex());
      assertEquals(t.sha256Hex, sha256Hex(r.file()));
    }
    assertEquals(SessionEnd.Reason.ALL_VERIFIED, t.senderResult.reason());
    assertEquals(3, t.senderResult.verifiedReceivers());
    assertEquals(
        Announce.ceilDiv(FOUR_MIB, WireFormat.DEFAULT_BLOCK_SIZE), t.senderResult.dataPackets());
  }

  @Test
  void lostDataIsRepairedByNakPasses() throws Exception {
    Transfer t = new Transfer(this, dir, FOUR_MIB, false);
    List<ReceiveResult> results =
        t.run(
            // Every 10th DATA datagram, repairs included: 10% steady loss.
            (ordinal, block) -> ordinal % 10 == 3,
            // A burst: a whole section and more of the first pass vanishes.
            (ordinal, block) -> block.pass() == 0 && block.block() >= 300 && block.block() < 700,
            MulticastReceiver.DataDropFilter.NONE);
    for (ReceiveResult r : results) {
      assertEquals(ReceiveResult.Outcome.VERIFIED, r.outcome());
      assertEquals(t.sha256Hex, sha256Hex(r.file()));
    }
    assertTrue(results.get(0).droppedForTest() > 200, "steady loss was injected");
    long burst = results.get(1).droppedForTest();
    assertTrue(burst > 0 && burst <= 400, "burst loss was injected");
    assertTrue(results.get(0).naksSent() > 0 && results.get(1).naksSent() > 0);
    assertTrue(t.senderResult.repairPackets() >= burst, "the burst was re-sent");
    assertTrue(t.senderResult.passes() >= 2);
    assertEquals(3, t.senderResult.verifiedReceivers());
  }

  @Test
  void lateJoinerCatchesUpThroughRepairPasses() throws Exception {
    Transfer t = new Transfer(this, dir, FOUR_MIB, false);
    // At 100 Mbit/s the first pass takes about 350 ms; the second receiver joins 150 ms in.
    t.rateMbps = 100;
    t.lateFrom = 1;
    t.lateMillis = 150;
    List<ReceiveResult> results =
        t.run(MulticastReceiver.DataDropFilter.NONE, MulticastReceiver.DataDropFilter.NONE);
    for (ReceiveResult r : results) {
      assertEquals(ReceiveResult.Outcome.VERIFIED, r.outcome());
      assertEquals(t.sha256Hex, sha256Hex(r.file()));
    }
    assertTrue(results.get(1).naksSent() > 0, "the late joiner asked for what it missed");
    assertTrue(t.senderResult.repairPackets() > 0);
    assertTrue(
        t.senderResult.repairPackets() < t.senderResult.dataPackets(),
        "the late joiner kept what it heard of the running pass; only the rest was repaired");
  }

  @Test
  void forgedReplayedAndMalformedDatagramsAreDroppedAndTheImageIsIntact() throws Exception {
    Transfer t = new Transfer(this, dir, FOUR_MIB, false);
    t.rateMbps = 200;
    t.injector =
        (group, session, secret) -> {
          SessionCodec forger =
              new SessionCodec(
                  SessionKeys.fromSecret(SessionKeys.newSecret(new SecureRandom())),
                  session,
                  0,
                  false);
          try (MulticastSocket socket = new MulticastSocket(group.getPort())) {
            socket.setOption(StandardSocketOptions.IP_MULTICAST_IF, lo);
            socket.setSoTimeout(5000);
            socket.joinGroup(group, lo);
            // Real datagrams from the sender, captured on the wire: replaying them must not count.
            List<byte[]> captured = new ArrayList<>();
            byte[] buf = new byte[2048];
            while (captured.size() < 50) {
              DatagramPacket p = new DatagramPacket(buf, buf.length);
              socket.receive(p);
              captured.add(Arrays.copyOf(p.getData(), p.getLength()));
            }
            byte[] zeros = new byte[1400];
            for (int i = 0; i < 50; i++) {
              // Right session, wrong key: forged image bytes.
              sendTo(
                  socket, group, forger.encode(UnpooledByteBufAllocator.DEFAULT, block(i, zeros)));
              socket.send(new DatagramPacket(captured.get(i), captured.get(i).length, group));
              // Datagrams shorter than a header.
              socket.send(new DatagramPacket(new byte[i % 40 + 1], i % 40 + 1, group));
            }
            socket.leaveGroup(group, lo);
          }
        };
    List<ReceiveResult> results = t.run(MulticastReceiver.DataDropFilter.NONE);
    ReceiveResult r = results.get(0);
    assertEquals(ReceiveResult.Outcome.VERIFIED, r.outcome());
    assertEquals(t.sha256Hex, sha256Hex(r.file()));
    MulticastReceiver receiver = t.receivers.get(0);
    assertEquals(50, receiver.rejected(DecodeException.Reason.AUTHENTICATION_FAILED));
    assertEquals(50, receiver.rejected(DecodeException.Reason.TRUNCATED));
    // A captured datagram the receiver itself lost on the way would be a legitimate first copy.
    assertTrue(receiver.rejected(DecodeException.Reason.REPLAYED) >= 45);
  }

  @Test
  void parityRepairSendsFewerPacketsThanResendingTheUnionAndRebuildsTheGaps() throws Exception {
    // Two receivers lose different first-pass blocks (about 5% each, chosen by block index so
    // both runs lose exactly the same blocks); repairs are not dropped.
    MulticastReceiver.DataDropFilter lossA =
        (ordinal, block) -> block.pass() == 0 && Math.floorMod(block.block() * 7919, 20) == 3;
    MulticastReceiver.DataDropFilter lossB =
        (ordinal, block) -> block.pass() == 0 && Math.floorMod(block.block() * 104729, 20) == 11;
    // The comparison is about the chosen losses: a slower pace keeps a loaded machine from adding
    // drops of its own (a receiver not scheduled in time overflows its socket buffer).
    Transfer plain = new Transfer(this, dir.resolve("plain"), FOUR_MIB, false);
    plain.fecGroupBlocks = 0;
    plain.rateMbps = 100;
    List<ReceiveResult> plainResults = plain.run(lossA, lossB);
    Transfer fec = new Transfer(this, dir.resolve("fec"), FOUR_MIB, false);
    fec.rateMbps = 100;
    List<ReceiveResult> fecResults = fec.run(lossA, lossB);
    for (ReceiveResult r : plainResults) {
      assertEquals(plain.sha256Hex, sha256Hex(r.file()));
      assertEquals(0, r.blocksRebuiltFromParity());
    }
    for (ReceiveResult r : fecResults) {
      assertEquals(ReceiveResult.Outcome.VERIFIED, r.outcome());
      assertEquals(fec.sha256Hex, sha256Hex(r.file()));
      assertTrue(r.blocksRebuiltFromParity() > 0, "gaps were rebuilt from parity");
    }
    assertTrue(fec.senderResult.parityPackets() > 0);
    assertTrue(
        fec.senderResult.repairPackets() < plain.senderResult.repairPackets(),
        "parity "
            + fec.senderResult.repairPackets()
            + " vs union "
            + plain.senderResult.repairPackets());
  }

  @Test
  void receiverWhoseTicketNamesAnotherDigestNeverReportsSuccess() throws Exception {
    Transfer t = new Transfer(this, dir, 1 << 20, false);
    t.expectedSha256 = new byte[32];
    List<ReceiveResult> results = t.run(MulticastReceiver.DataDropFilter.NONE);
    assertEquals(ReceiveResult.Outcome.INCOMPLETE, results.get(0).outcome());
    assertEquals(0, t.senderResult.verifiedReceivers());
  }

  /**
   * A sender that falls silent mid-session (its process killed: no SESSION_END ever comes) is given
   * up on after the sender-lost timeout; the receiver ends INCOMPLETE with the blocks it got, which
   * a unicast fallback then need not fetch again.
   */
  @Test
  void aReceiverWhoseSenderFallsSilentEndsIncompleteKeepingWhatItGot() throws Exception {
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    InetSocketAddress group =
        new InetSocketAddress(
            InetAddress.getByName("239.255." + rnd.nextInt(1, 255) + "." + rnd.nextInt(1, 255)),
            rnd.nextInt(20_000, 60_000));
    int session = rnd.nextInt(1, Integer.MAX_VALUE);
    byte[] secret = SessionKeys.newSecret(new SecureRandom());
    byte[] image = new byte[10 * 1400];
    new Random(7).nextBytes(image);
    Duration lostAfter = Duration.ofMillis(800);
    MulticastReceiver receiver =
        new MulticastReceiver(
            MulticastReceiver.Config.defaults(group, lo, session, 101, secret)
                .withSenderLostTimeout(lostAfter),
            dir.resolve("received"));
    SessionCodec sender =
        new SessionCodec(
            SessionKeys.fromSecret(secret), session, WireFormat.SENDER_SOURCE_ID, false);
    try (MulticastSocket socket = new MulticastSocket()) {
      socket.setOption(StandardSocketOptions.IP_MULTICAST_IF, lo);
      CompletableFuture<ReceiveResult> result = receiver.start();
      sendTo(
          socket,
          group,
          sender.encode(
              UnpooledByteBufAllocator.DEFAULT,
              Announce.of(
                  image.length,
                  1400,
                  WireFormat.DEFAULT_BLOCKS_PER_SECTION,
                  1000,
                  MessageDigest.getInstance("SHA-256").digest(image),
                  "image.wim")));
      for (int i = 0; i < 4; i++) {
        sendTo(
            socket,
            group,
            sender.encode(
                UnpooledByteBufAllocator.DEFAULT,
                block(i, Arrays.copyOfRange(image, i * 1400, (i + 1) * 1400))));
      }
      long silentSince = System.nanoTime();
      ReceiveResult r = result.get(10, TimeUnit.SECONDS);
      long waited = System.nanoTime() - silentSince;
      assertEquals(ReceiveResult.Outcome.INCOMPLETE, r.outcome());
      assertEquals(4, r.blocks());
      assertEquals(4, receiver.heldBlocks().cardinality());
      assertTrue(waited >= lostAfter.toNanos(), "gave up after " + waited + " ns");
    } finally {
      receiver.close();
    }
  }

  private static DataBlock block(int i, byte[] bytes) {
    return new DataBlock(0, i, Unpooled.wrappedBuffer(bytes));
  }

  private static void sendTo(MulticastSocket socket, InetSocketAddress group, ByteBuf datagram)
      throws IOException {
    try {
      byte[] bytes = ByteBufUtil.getBytes(datagram);
      socket.send(new DatagramPacket(bytes, bytes.length, group));
    } finally {
      datagram.release();
    }
  }

  @Test
  void encryptedSessionDeliversTheImage() throws Exception {
    Transfer t = new Transfer(this, dir, 1 << 20, true);
    List<ReceiveResult> results = t.run((ordinal, block) -> ordinal % 17 == 0);
    assertEquals(ReceiveResult.Outcome.VERIFIED, results.get(0).outcome());
    assertEquals(t.sha256Hex, sha256Hex(results.get(0).file()));
  }

  /** One session: a random file, a random group and port on lo, a fresh secret. */
  private static final class Transfer {
    final Path dir;
    final Path image;
    final String sha256Hex;
    final byte[] sha256;
    final boolean encrypt;
    MulticastSender.Result senderResult;
    final List<MulticastReceiver> receivers = new ArrayList<>();

    /** Receivers from this index on join only after the sender started, this many ms late. */
    int lateFrom = Integer.MAX_VALUE;

    long lateMillis;

    /** Runs while the session is under way, with the group, session id and secret. */
    Injector injector = (group, session, secret) -> {};

    double rateMbps = RATE_MBPS;

    int fecGroupBlocks = WireFormat.DEFAULT_FEC_GROUP_BLOCKS;

    /** The digest the receivers' tickets name; null trusts the ANNOUNCE. */
    byte[] expectedSha256;

    final MulticastTransferTest outer;

    Transfer(MulticastTransferTest outer, Path dir, int size, boolean encrypt) throws Exception {
      this.outer = outer;
      this.dir = dir;
      this.encrypt = encrypt;
      Files.createDirectories(dir);
      byte[] bytes = new byte[size];
      new Random(size).nextBytes(bytes);
      image = dir.resolve("image.wim");
      Files.write(image, bytes);
      sha256 = MessageDigest.getInstance("SHA-256").digest(bytes);
      sha256Hex = HexFormat.of().formatHex(sha256);
    }

    List<ReceiveResult> run(MulticastReceiver.DataDropFilter... filters) throws Exception {
      ThreadLocalRandom rnd = ThreadLocalRandom.current();
      InetSocketAddress group =
          new InetSocketAddress(
              InetAddress.getByName("239.255." + rnd.nextInt(1, 255) + "." + rnd.nextInt(1, 255)),
              rnd.nextInt(20_000, 60_000));
      int session = rnd.nextInt(1, Integer.MAX_VALUE);
      byte[] secret = SessionKeys.newSecret(new java.security.SecureRandom());
      receivers.clear();
      List<CompletableFuture<ReceiveResult>> futures = new ArrayList<>();
      try {
        for (int i = 0; i < filters.length; i++) {
          receivers.add(
              outer.receiver(group, session, secret, i, filters[i], encrypt, dir, expectedSha256));
        }
        for (int i = 0; i < Math.min(lateFrom, receivers.size()); i++) {
          futures.add(receivers.get(i).start());
        }
        MulticastSender.Config config =
            MulticastSender.Config.defaults(
                    group, lo, session, secret, rateMbps, Math.min(lateFrom, filters.length))
                .withEncrypt(encrypt)
                .withFecGroupBlocks(fecGroupBlocks)
                .withReadyWait(Duration.ofMillis(500))
                .withStraggleTimeout(Duration.ofSeconds(2));
        try (MulticastSender sender = new MulticastSender(config, image, sha256, "image.wim")) {
          CompletableFuture<MulticastSender.Result> done = sender.start();
          if (lateFrom < receivers.size()) {
            Thread.sleep(lateMillis);
            for (int i = lateFrom; i < receivers.size(); i++) {
              // As MulticastSessions does for a late join: the session now waits for it too.
              assertTrue(sender.addExpectedReceiver());
              futures.add(receivers.get(i).start());
            }
          }
          injector.inject(group, session, secret);
          senderResult = done.get(60, TimeUnit.SECONDS);
        }
        List<ReceiveResult> results = new ArrayList<>();
        for (CompletableFuture<ReceiveResult> f : futures) {
          results.add(f.get(10, TimeUnit.SECONDS));
        }
        return results;
      } finally {
        receivers.forEach(MulticastReceiver::close);
      }
    }
  }

  private interface Injector {
    void inject(InetSocketAddress group, int session, byte[] secret) throws Exception;
  }

  private MulticastReceiver receiver(
      InetSocketAddress group,
      int session,
      byte[] secret,
      int i,
      MulticastReceiver.DataDropFilter filter,
      boolean encrypt,
      Path dir,
      byte[] expectedSha256) {
    MulticastReceiver.Config base =
        MulticastReceiver.Config.defaults(group, lo, session, 100 + i, secret);
    return new MulticastReceiver(
        new MulticastReceiver.Config(
            group,
            lo,
            session,
            100 + i,
            secret,
            encrypt,
            base.nakBackoffMax(),
            base.idleTimeout(),
            base.senderLostTimeout(),
            filter,
            expectedSha256),
        dir.resolve("received-" + i));
  }

  static String sha256Hex(Path file) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}
