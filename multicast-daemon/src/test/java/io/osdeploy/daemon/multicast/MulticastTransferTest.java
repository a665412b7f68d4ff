package io.osdeploy.daemon.multicast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.osdeploy.daemon.testing.Prerequisites;
import io.osdeploy.transfer.net.DatagramTransport;
import io.osdeploy.transfer.receive.MulticastReceiver;
import io.osdeploy.transfer.receive.ReceiveResult;
import io.osdeploy.transfer.wire.Announce;
import io.osdeploy.transfer.wire.DataBlock;
import io.osdeploy.transfer.wire.DecodeException;
import io.osdeploy.transfer.wire.SectionDigests;
import io.osdeploy.transfer.wire.SenderSecrets;
import io.osdeploy.transfer.wire.SessionCodec;
import io.osdeploy.transfer.wire.SessionEnd;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongPredicate;
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
    // At 100 Mbit/s the first pass takes about 350 ms; the second receiver joins once a quarter
    // of the image is sent (a fixed delay would miss nothing where a busy machine starts late).
    t.rateMbps = 100;
    t.lateFrom = 1;
    t.lateAfterBytes = FOUR_MIB / 4;
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
  void aReceiverShortOfCpuDoesNotAskTheSenderToSlowDown() throws Exception {
    Prerequisites.require(DatagramTransport.epoll(), "Netty's native epoll transport");
    Transfer t = new Transfer(this, dir, 4 * FOUR_MIB, false);
    // Early in the first pass the receiver's event loop stalls for half a second, as a receiver's
    // does that is still compiling on busy cores: its socket's buffer fills, and the kernel drops
    // the rest of the pass there, not on the way.
    AtomicBoolean stalled = new AtomicBoolean();
    List<ReceiveResult> results =
        t.run(stallOn(ordinal -> ordinal >= 1000 && stalled.compareAndSet(false, true), 500));
    ReceiveResult r = results.get(0);
    assertEquals(ReceiveResult.Outcome.VERIFIED, r.outcome());
    assertEquals(t.sha256Hex, sha256Hex(r.file()));
    assertTrue(r.overflowed() > 0, "the stalled receiver's socket dropped datagrams");
    assertTrue(r.naksSent() > 0, "it asked for what its socket dropped");
    assertEquals(
        0,
        r.congestedReports(),
        "what its own socket dropped ("
            + r.overflowed()
            + " datagrams) is not reported as the sender outrunning it");
  }

  @Test
  void aReceiverThatCannotKeepUpForLongAsksTheSenderToSlowDown() throws Exception {
    Prerequisites.require(DatagramTransport.epoll(), "Netty's native epoll transport");
    Transfer t = new Transfer(this, dir, 16 * FOUR_MIB, false);
    t.rateMbps = 200;
    // For 3,000 datagrams of the first pass the receiver takes a millisecond over each: about 3 s
    // at a twentieth of the rate, its socket overflowing all along.
    List<ReceiveResult> results = t.run(stallOn(ordinal -> ordinal >= 1000 && ordinal < 4000, 1));
    ReceiveResult r = results.get(0);
    assertEquals(ReceiveResult.Outcome.VERIFIED, r.outcome());
    assertEquals(t.sha256Hex, sha256Hex(r.file()));
    assertTrue(r.overflowed() > 0, "its socket dropped datagrams");
    assertTrue(
        r.congestedReports() > 0,
        "an overflow that went on for seconds is reported as the sender outrunning it");
  }

  /**
   * Drops nothing, but holds the receiver's event loop for {@code millis} on each DATA datagram
   * whose ordinal {@code when} picks, as a receiver short of CPU is held.
   */
  private static MulticastReceiver.DataDropFilter stallOn(LongPredicate when, long millis) {
    return (ordinal, block) -> {
      if (when.test(ordinal)) {
        try {
          Thread.sleep(millis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return false;
    };
  }

  @Test
  void forgedReplayedAndMalformedDatagramsAreDroppedAndTheImageIsIntact() throws Exception {
    Transfer t = new Transfer(this, dir, FOUR_MIB, false);
    t.rateMbps = 200;
    t.injector =
        (group, session, secrets) -> {
          // A host that never joined: none of the session's keys.
          SessionCodec forger =
              SessionCodec.forSender(SenderSecrets.generate(new SecureRandom()), session, false);
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
              int cut = i % (WireFormat.HEADER_BYTES - 1) + 1;
              socket.send(new DatagramPacket(new byte[cut], cut, group));
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
    // A replayed control message is refused; a replayed block is a duplicate of one already held
    // (or, if the receiver lost the original, a legitimate first copy).
    assertTrue(
        receiver.rejected(DecodeException.Reason.REPLAYED) + r.duplicateBlocks() >= 45,
        "replays: "
            + receiver.rejected(DecodeException.Reason.REPLAYED)
            + " refused, "
            + r.duplicateBlocks()
            + " duplicates");
  }

  /**
   * A receiver that joined (it holds the shared key, its own feedback key and the sender's public
   * key, as every ticket holder does) forges the last block of three sections ahead of the sender,
   * a SESSION_END, and VERIFIED reports in the other receivers' names. The others drop the three
   * sections when they fail their digests and get them again by NAK, ignore the unsigned
   * SESSION_END, and the sender counts the made-up reports as unauthenticated: every receiver ends
   * with the exact image, and only they are counted verified.
   */
  @Test
  void aJoinedReceiverForgingDataAndControlPoisonsNobody() throws Exception {
    Transfer t = new Transfer(this, dir, FOUR_MIB, false);
    t.rateMbps = 50;
    t.injector =
        (group, session, secrets) ->
            new JoinedAttacker(group, session, secrets).forge(List.of(9, 10, 11), true);
    List<ReceiveResult> results =
        t.run(MulticastReceiver.DataDropFilter.NONE, MulticastReceiver.DataDropFilter.NONE);
    for (ReceiveResult r : results) {
      assertEquals(ReceiveResult.Outcome.VERIFIED, r.outcome(), r.toString());
      assertEquals(t.sha256Hex, sha256Hex(r.file()));
      assertEquals(3, r.forgedSections(), "each forged section was caught: " + r);
      assertEquals(3, r.badSignatures(), "each forged SESSION_END was refused: " + r);
    }
    assertEquals(2, t.senderResult.verifiedReceivers());
    assertTrue(
        t.senderRejected.get(DecodeException.Reason.AUTHENTICATION_FAILED) >= 2,
        "reports in another receiver's name: " + t.senderRejected);
  }

  /**
   * Under sustained forgery (every section's last block) the receivers leave the session once
   * forgery reaches {@link MulticastReceiver#FORGERIES_BEFORE_LEAVING}, instead of failing: they
   * end INCOMPLETE holding only sections that matched their digests (all of them the image's
   * bytes), which is what the unicast fallback then completes, and the sender stops waiting for
   * them.
   */
  @Test
  void receiversUnderSustainedForgeryLeaveKeepingOnlyCheckedSections() throws Exception {
    Transfer t = new Transfer(this, dir, FOUR_MIB, false);
    t.rateMbps = 50;
    List<Integer> all = new ArrayList<>();
    for (int s = 0; s < 12; s++) {
      all.add(s);
    }
    t.injector =
        (group, session, secrets) -> new JoinedAttacker(group, session, secrets).forge(all, false);
    List<ReceiveResult> results = t.run(MulticastReceiver.DataDropFilter.NONE);
    ReceiveResult r = results.get(0);
    assertEquals(ReceiveResult.Outcome.INCOMPLETE, r.outcome(), r.toString());
    assertTrue(
        r.forgedSections() + r.badSignatures() >= MulticastReceiver.FORGERIES_BEFORE_LEAVING,
        r.toString());
    java.util.BitSet kept = t.receivers.get(0).heldBlocks();
    byte[] image = Files.readAllBytes(t.image);
    byte[] received = Files.readAllBytes(r.file());
    for (int b = kept.nextSetBit(0); b >= 0; b = kept.nextSetBit(b + 1)) {
      int from = b * 1400;
      int to = Math.min(image.length, from + 1400);
      assertTrue(
          Arrays.equals(image, from, to, received, from, to),
          "kept block " + b + " is the image's");
    }
    assertTrue(kept.cardinality() < 2996, "the forged sections are not kept");
    assertEquals(0, t.senderResult.verifiedReceivers());
  }

  /**
   * A joined receiver that NAKs every block after every pass would keep the session repairing until
   * its 30-minute limit. The sender evicts it after {@link MulticastSender#EVICT_AFTER_PASSES}
   * passes in which it NAKed at least half of what was sent; the honest receivers verify and the
   * session ends.
   */
  @Test
  void aReceiverThatAsksForEverythingIsEvicted() throws Exception {
    Transfer t = new Transfer(this, dir, 1 << 20, false);
    t.rateMbps = 200;
    t.extraExpected = 1; // the attacker joined like anyone: the session waits for it too
    t.injector =
        (group, session, secrets) -> new JoinedAttacker(group, session, secrets).nakEverything();
    List<ReceiveResult> results =
        t.run(MulticastReceiver.DataDropFilter.NONE, MulticastReceiver.DataDropFilter.NONE);
    for (ReceiveResult r : results) {
      assertEquals(ReceiveResult.Outcome.VERIFIED, r.outcome(), r.toString());
    }
    assertEquals(SessionEnd.Reason.ALL_VERIFIED, t.senderResult.reason());
    assertEquals(1, t.evicted);
  }

  /** A receiver that joined the session (source 200) and turns on it. */
  private final class JoinedAttacker {
    private static final int SOURCE = 200;
    private final InetSocketAddress group;
    private final int session;
    private final io.osdeploy.transfer.wire.FrameCodec frames;
    private final SessionCodec asItself;

    JoinedAttacker(InetSocketAddress group, int session, SenderSecrets secrets) {
      this.group = group;
      this.session = session;
      javax.crypto.spec.SecretKeySpec own =
          new javax.crypto.spec.SecretKeySpec(secrets.receiver(SOURCE).feedbackKey(), "HmacSHA256");
      // What its ticket gives it: the shared key, and its own feedback key for any source id.
      this.frames =
          new io.osdeploy.transfer.wire.FrameCodec(
              io.osdeploy.transfer.wire.SessionKeys.fromSecret(secrets.groupSecret()),
              source -> own);
      this.asItself = SessionCodec.forReceiver(secrets.receiver(SOURCE), session, SOURCE, false);
    }

    /**
     * Waits for the first ANNOUNCE (the receivers store blocks from then on); the sender's address.
     */
    private InetSocketAddress awaitAnnounce(MulticastSocket socket) throws IOException {
      byte[] buf = new byte[2048];
      while (true) {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        socket.receive(p);
        if (p.getLength() > 5 && buf[5] == 1) {
          return (InetSocketAddress) p.getSocketAddress();
        }
      }
    }

    private ByteBuf frame(
        io.osdeploy.transfer.wire.MessageType type, int source, long seq, byte[] payload) {
      ByteBuf p = Unpooled.wrappedBuffer(payload);
      try {
        return frames.encode(
            UnpooledByteBufAllocator.DEFAULT, type, session, source, seq, p, false);
      } finally {
        p.release();
      }
    }

    void forge(List<Integer> sections, boolean controlToo) throws Exception {
      try (MulticastSocket socket = new MulticastSocket(group.getPort())) {
        socket.setOption(StandardSocketOptions.IP_MULTICAST_IF, lo);
        socket.setSoTimeout(5000);
        socket.joinGroup(group, lo);
        InetSocketAddress sender = awaitAnnounce(socket);
        long seq = Long.MAX_VALUE / 2;
        for (int s : sections) {
          // The last block of the section, ahead of the sender: DATA fields, then made-up bytes.
          int block = Math.min(2995, s * 256 + 255);
          byte[] payload = new byte[8 + (block == 2995 ? FOUR_MIB - 2995 * 1400 : 1400)];
          java.nio.ByteBuffer.wrap(payload).putShort((short) 0).putShort((short) 0).putInt(block);
          Arrays.fill(payload, 8, payload.length, (byte) 0x5a);
          sendTo(
              socket, group, frame(io.osdeploy.transfer.wire.MessageType.DATA, 0, ++seq, payload));
        }
        if (controlToo) {
          for (int i = 0; i < 3; i++) {
            // SESSION_END ABORTED with 64 bytes where the sender's signature belongs.
            byte[] payload = new byte[4 + WireFormat.SIGNATURE_BYTES];
            payload[0] = 3;
            byte[] signature = new byte[WireFormat.SIGNATURE_BYTES];
            new SecureRandom().nextBytes(signature);
            System.arraycopy(signature, 0, payload, 4, signature.length);
            sendTo(
                socket,
                group,
                frame(io.osdeploy.transfer.wire.MessageType.SESSION_END, 0, ++seq, payload));
          }
          for (int source : List.of(100, 101)) {
            // STATUS VERIFIED in another receiver's name, under the attacker's own feedback key.
            byte[] payload = {2, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
            sendTo(
                socket,
                sender,
                frame(
                    io.osdeploy.transfer.wire.MessageType.STATUS,
                    source,
                    System.currentTimeMillis() << 20,
                    payload));
          }
        }
        socket.leaveGroup(group, lo);
      }
    }

    /** Says hello, then NAKs every block of the image after every pass end, in the background. */
    void nakEverything() throws Exception {
      MulticastSocket socket = new MulticastSocket(group.getPort());
      socket.setOption(StandardSocketOptions.IP_MULTICAST_IF, lo);
      socket.setSoTimeout(200);
      socket.joinGroup(group, lo);
      InetSocketAddress sender = awaitAnnounceWithin(socket);
      int sections = 3; // 1 MiB: 749 blocks of 1400 bytes, 256 to a section
      Thread flood =
          new Thread(
              () -> {
                byte[] buf = new byte[2048];
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
                try (socket) {
                  sendTo(
                      socket,
                      sender,
                      asItself.encode(
                          UnpooledByteBufAllocator.DEFAULT,
                          new io.osdeploy.transfer.wire.Status(
                              io.osdeploy.transfer.wire.Status.State.RECEIVING, 0, 749)));
                  while (System.nanoTime() < until) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    try {
                      socket.receive(p);
                    } catch (java.net.SocketTimeoutException e) {
                      continue;
                    }
                    if (p.getLength() > 5 && buf[5] == 7) {
                      return; // SESSION_END
                    }
                    if (p.getLength() > 5 && buf[5] == 5) {
                      List<io.osdeploy.transfer.wire.Nak.Section> all = new ArrayList<>();
                      for (int s = 0; s < sections; s++) {
                        java.util.BitSet missing = new java.util.BitSet();
                        missing.set(0, s == sections - 1 ? 749 - 512 : 256);
                        all.add(new io.osdeploy.transfer.wire.Nak.Section(s, missing));
                      }
                      sendTo(
                          socket,
                          sender,
                          asItself.encode(
                              UnpooledByteBufAllocator.DEFAULT,
                              new io.osdeploy.transfer.wire.Nak(0, 32, all)));
                    }
                  }
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              },
              "nak-everything");
      flood.setDaemon(true);
      flood.start();
    }

    private InetSocketAddress awaitAnnounceWithin(MulticastSocket socket) throws IOException {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (true) {
        try {
          return awaitAnnounce(socket);
        } catch (java.net.SocketTimeoutException e) {
          if (System.nanoTime() > until) {
            throw e;
          }
        }
      }
    }
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
    SenderSecrets secrets = SenderSecrets.generate(new SecureRandom());
    byte[] image = new byte[10 * 1400];
    new Random(7).nextBytes(image);
    Path imageFile = dir.resolve("image");
    Files.write(imageFile, image);
    // Sections of 8 blocks: the first is whole when the sender falls silent, the second is not.
    int blocksPerSection = 8;
    Duration lostAfter = Duration.ofMillis(800);
    MulticastReceiver receiver =
        new MulticastReceiver(
            MulticastReceiver.Config.builder(
                    group,
                    lo,
                    session,
                    101,
                    secrets.receiver(101),
                    SectionDigests.compute(imageFile, image.length, 1400, blocksPerSection))
                .senderLostTimeout(lostAfter)
                .build(),
            dir.resolve("received"));
    SessionCodec sender = SessionCodec.forSender(secrets, session, false);
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
                  blocksPerSection,
                  1000,
                  MessageDigest.getInstance("SHA-256").digest(image),
                  "image.wim")));
      for (int i = 0; i < 9; i++) {
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
      assertEquals(9, r.blocks());
      // Only the section that matched its digest is kept; the unchecked block is fetched again.
      assertEquals(8, receiver.heldBlocks().cardinality());
      assertEquals(8, receiver.heldBlocks().nextClearBit(0));
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
    java.util.Map<DecodeException.Reason, Long> senderRejected;
    long evicted;

    /** Receivers the sender waits for beyond the ones this transfer runs (an attacker's join). */
    int extraExpected;

    final List<MulticastReceiver> receivers = new ArrayList<>();

    /** Receivers from this index on join only once the sender has sent {@link #lateAfterBytes}. */
    int lateFrom = Integer.MAX_VALUE;

    long lateAfterBytes;

    /** Runs while the session is under way, with the group, session id and secrets. */
    Injector injector = (group, session, secrets) -> {};

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
      SenderSecrets secrets = SenderSecrets.generate(new java.security.SecureRandom());
      SectionDigests digests =
          SectionDigests.compute(
              image,
              Files.size(image),
              WireFormat.DEFAULT_BLOCK_SIZE,
              WireFormat.DEFAULT_BLOCKS_PER_SECTION);
      receivers.clear();
      List<CompletableFuture<ReceiveResult>> futures = new ArrayList<>();
      try {
        for (int i = 0; i < filters.length; i++) {
          receivers.add(
              outer.receiver(
                  group, session, secrets, digests, i, filters[i], encrypt, dir, expectedSha256));
        }
        for (int i = 0; i < Math.min(lateFrom, receivers.size()); i++) {
          futures.add(receivers.get(i).start());
        }
        MulticastSender.Config config =
            MulticastSender.Config.builder(
                    group,
                    lo,
                    session,
                    secrets,
                    rateMbps,
                    Math.min(lateFrom, filters.length) + extraExpected)
                .encrypt(encrypt)
                .fecGroupBlocks(fecGroupBlocks)
                .readyWait(Duration.ofMillis(500))
                .straggleTimeout(Duration.ofSeconds(2))
                .build();
        try (MulticastSender sender = new MulticastSender(config, image, sha256, "image.wim")) {
          CompletableFuture<MulticastSender.Result> done = sender.start();
          if (lateFrom < receivers.size()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (sender.bytesSent() < lateAfterBytes && System.nanoTime() < deadline) {
              Thread.sleep(1);
            }
            assertTrue(sender.bytesSent() >= lateAfterBytes, "the sender sent what it was to");
            for (int i = lateFrom; i < receivers.size(); i++) {
              // As MulticastSessions does for a late join: the session now waits for it too.
              assertTrue(sender.addExpectedReceiver());
              futures.add(receivers.get(i).start());
            }
          }
          injector.inject(group, session, secrets);
          senderResult = done.get(60, TimeUnit.SECONDS);
          senderRejected = sender.rejectedByReason();
          evicted = sender.evictedReceivers();
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
    void inject(InetSocketAddress group, int session, SenderSecrets secrets) throws Exception;
  }

  private MulticastReceiver receiver(
      InetSocketAddress group,
      int session,
      SenderSecrets secrets,
      SectionDigests digests,
      int i,
      MulticastReceiver.DataDropFilter filter,
      boolean encrypt,
      Path dir,
      byte[] expectedSha256) {
    return new MulticastReceiver(
        MulticastReceiver.Config.builder(
                group, lo, session, 100 + i, secrets.receiver(100 + i), digests)
            .encrypted(encrypt)
            .dropFilter(filter)
            .expectedSha256(expectedSha256)
            .build(),
        dir.resolve("received-" + i));
  }

  static String sha256Hex(Path file) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}
