package io.osdeploy.daemon.multicast;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.osdeploy.api.v1alpha1.DistributionPointMulticast;
import io.osdeploy.transfer.wire.DecodeException;
import io.osdeploy.transfer.wire.JoinTicket;
import io.osdeploy.transfer.wire.SessionEnd;
import io.osdeploy.transfer.wire.WireFormat;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Session bookkeeping with a stand-in sender; the real sender is covered by the transfer tests. */
class MulticastSessionsTest {
  private static final String SHA = "ab".repeat(32);
  private static final MulticastImage WIN11 =
      new MulticastImage("win11", sparseFile(5_000_000), 5_000_000, SHA, false);
  private static final MulticastImage WIN10 =
      new MulticastImage("win10", sparseFile(4_000_000), 4_000_000, SHA, true);

  /**
   * A file of {@code size} zero bytes that takes no disk: what a ticket's digests are read from.
   */
  private static Path sparseFile(long size) {
    try {
      Path file = java.nio.file.Files.createTempFile("osdeploy-image", ".img");
      file.toFile().deleteOnExit();
      try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
        f.setLength(size);
      }
      return file;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private final List<FakeSender> started = new ArrayList<>();
  private MulticastSessions sessions;

  @AfterEach
  void close() {
    if (sessions != null) {
      sessions.close();
    }
  }

  private MulticastSessions sessions(DistributionPointMulticast dp) throws Exception {
    ImageCatalog catalog =
        name ->
            Optional.ofNullable(name.equals("win11") ? WIN11 : name.equals("win10") ? WIN10 : null);
    sessions =
        new MulticastSessions(
            MulticastSettings.from(dp),
            NetworkInterface.getByName("lo"),
            catalog,
            (config, image) -> {
              FakeSender s = new FakeSender(config, image);
              synchronized (started) {
                started.add(s);
              }
              return s;
            });
    return sessions;
  }

  private static DistributionPointMulticast dp(
      String first, String last, int firstPort, int lastPort) {
    DistributionPointMulticast m = new DistributionPointMulticast();
    m.setEnabled(true);
    DistributionPointMulticast.AddressRange a = new DistributionPointMulticast.AddressRange();
    a.setStart(first);
    a.setEnd(last);
    m.setAddressRange(a);
    DistributionPointMulticast.PortRange p = new DistributionPointMulticast.PortRange();
    p.setStart(firstPort);
    p.setEnd(lastPort);
    m.setPortRange(p);
    return m;
  }

  private static DistributionPointMulticast scheduled(int minClients, int maxWait, int maxClients) {
    DistributionPointMulticast m = dp("239.1.1.1", "239.1.1.10", 40000, 40009);
    DistributionPointMulticast.SessionStart s = new DistributionPointMulticast.SessionStart();
    s.setMinClients(minClients);
    s.setMaxWaitSeconds(maxWait);
    m.setSessionStart(s);
    m.setMaxClients(maxClients);
    m.setMaxRateMbps(250);
    return m;
  }

  private int startedCount() {
    synchronized (started) {
      return started.size();
    }
  }

  @Test
  void sessionStartsWhenMinClientsHaveJoined() throws Exception {
    sessions(scheduled(3, 3600, 10));
    JoinTicket a = sessions.join("win11", "aa:01");
    JoinTicket b = sessions.join("win11", "aa:02");
    assertEquals(JoinTicket.StartState.WAITING, a.state());
    assertEquals(JoinTicket.StartState.WAITING, b.state());
    assertEquals(0, startedCount());
    JoinTicket c = sessions.join("win11", "aa:03");
    assertEquals(1, startedCount());
    assertEquals(3, started.get(0).config.expectedReceivers());
    assertEquals(250, started.get(0).config.rateMbps());
    assertEquals(a.sessionId(), c.sessionId());
    assertEquals(Set.of(1L, 2L, 3L), Set.of(a.sourceId(), b.sourceId(), c.sourceId()));
    assertEquals(a.secret(), c.secret());
    assertEquals(1, sessions.metrics().sessionsStarted());
  }

  @Test
  void sessionStartsAfterMaxWaitWithFewerClients() throws Exception {
    sessions(scheduled(5, 1, 10));
    JoinTicket a = sessions.join("win11", "aa:01");
    assertEquals(JoinTicket.StartState.WAITING, a.state());
    assertTrue(a.startsBy() != null);
    await().atMost(Duration.ofSeconds(10)).until(() -> startedCount() == 1);
    assertEquals(1, started.get(0).config.expectedReceivers());
  }

  @Test
  void aJoinWhileSendingIsALateJoinIntoTheRunningSession() throws Exception {
    sessions(scheduled(1, 60, 10));
    JoinTicket a = sessions.join("win11", "aa:01");
    JoinTicket late = sessions.join("win11", "aa:02");
    assertEquals(JoinTicket.StartState.RUNNING, late.state());
    assertNull(late.startsBy());
    assertEquals(a.sessionId(), late.sessionId());
    assertEquals(1, started.get(0).lateReceivers);
    assertEquals(1, sessions.metrics().lateJoins());
  }

  @Test
  void aSessionThatIsEndingSendsLateJoinersToANewSession() throws Exception {
    sessions(scheduled(1, 60, 10));
    JoinTicket a = sessions.join("win11", "aa:01");
    started.get(0).ending = true;
    JoinTicket b = sessions.join("win11", "aa:02");
    assertNotEquals(a.sessionId(), b.sessionId());
    assertNotEquals(a.group() + ":" + a.port(), b.group() + ":" + b.port());
  }

  @Test
  void joinsBeyondMaxClientsOpenTheNextSessionOnAnotherGroupAndPort() throws Exception {
    sessions(scheduled(2, 3600, 2));
    JoinTicket a = sessions.join("win11", "aa:01");
    JoinTicket b = sessions.join("win11", "aa:02");
    JoinTicket c = sessions.join("win11", "aa:03");
    assertEquals(a.sessionId(), b.sessionId());
    assertNotEquals(a.sessionId(), c.sessionId());
    assertNotEquals(a.group(), c.group());
    assertNotEquals(a.port(), c.port());
    assertEquals(JoinTicket.StartState.WAITING, c.state());
    assertEquals(1L, c.sourceId());
    assertEquals(2, sessions.sessions().size());
  }

  @Test
  void retriedJoinGetsTheSameTicket() throws Exception {
    sessions(scheduled(2, 3600, 10));
    JoinTicket a = sessions.join("win11", "aa:01");
    JoinTicket again = sessions.join("win11", "aa:01");
    assertEquals(a.sourceId(), again.sourceId());
    assertEquals(a.sessionId(), again.sessionId());
    assertEquals(1, sessions.sessions().get(0).clients());
  }

  @Test
  void everyLiveSessionHasItsOwnGroupPortAndAnEndedSessionFreesIt() throws Exception {
    // Two groups x two ports: four pairs; the first two sessions get disjoint groups and ports.
    sessions(withStart(dp("239.2.0.1", "239.2.0.2", 50000, 50001), 1));
    Set<String> pairs = new HashSet<>();
    for (int i = 0; i < 4; i++) {
      JoinTicket t = sessions.join(i % 2 == 0 ? "win11" : "win10", "c" + i);
      started.get(i).ending = true; // every further join needs a new session
      assertTrue(pairs.add(t.group() + ":" + t.port()), "pair reused: " + t);
    }
    JoinRefusedException full =
        assertThrows(JoinRefusedException.class, () -> sessions.join("win11", "c9"));
    assertEquals(JoinRefusedException.Reason.NO_FREE_GROUP, full.reason());
    started.get(2).finish(SessionEnd.Reason.ALL_VERIFIED);
    await().atMost(Duration.ofSeconds(10)).until(() -> sessions.sessions().size() == 3);
    JoinTicket reused = sessions.join("win11", "c9");
    assertTrue(pairs.contains(reused.group() + ":" + reused.port()));
    MulticastMetrics m = sessions.metrics();
    assertEquals(5, m.sessionsStarted());
    assertEquals(1, m.sessionsCompleted());
    assertEquals(1, m.sessionsAllVerified());
    assertEquals(1, m.joinsRefused());
    assertEquals(5 * 1000L, m.bytesSent());
    assertEquals(3L * 5, m.rejectedByReason().get("AUTHENTICATION_FAILED"));
  }

  private static DistributionPointMulticast withStart(DistributionPointMulticast m, int min) {
    DistributionPointMulticast.SessionStart s = new DistributionPointMulticast.SessionStart();
    s.setMinClients(min);
    m.setSessionStart(s);
    return m;
  }

  @Test
  void oneAddressHoldsAtMostSixteenTicketsAndANodeAtMostThirtyTwoSessions() throws Exception {
    // One client per session and 100 group:port pairs: every join opens a session.
    sessions(scheduled(1, 600, 1));
    InetAddress lab = InetAddress.getByName("10.0.0.7");
    for (int i = 0; i < MulticastSessions.MAX_TICKETS_PER_ADDRESS; i++) {
      sessions.join("win11", "lab-" + i, lab);
    }
    JoinRefusedException flood =
        assertThrows(JoinRefusedException.class, () -> sessions.join("win11", "lab-x", lab));
    assertEquals(JoinRefusedException.Reason.BUSY, flood.reason());
    assertTrue(flood.getMessage().contains("10.0.0.7"), flood.getMessage());
    // A retried join is not a new ticket, and another address is not limited by this one.
    assertEquals(1, sessions.join("win11", "lab-0", lab).sourceId());
    for (int i = MulticastSessions.MAX_TICKETS_PER_ADDRESS;
        i < MulticastSessions.MAX_LIVE_SESSIONS;
        i++) {
      sessions.join("win11", "m-" + i, InetAddress.getByName("10.0.1." + i));
    }
    JoinRefusedException full =
        assertThrows(
            JoinRefusedException.class,
            () -> sessions.join("win11", "one-more", InetAddress.getByName("10.0.2.1")));
    assertEquals(JoinRefusedException.Reason.BUSY, full.reason());
    assertEquals(MulticastSessions.MAX_LIVE_SESSIONS, sessions.sessions().size());
  }

  @Test
  void aJoinDoesNotWaitLongForSectionDigestsThatAreStillBeingComputed() throws Exception {
    // A named pipe nobody writes to: reading it for the digests blocks, as a huge image would.
    Path pipe = java.nio.file.Files.createTempDirectory("osdeploy-digests").resolve("image");
    assertEquals(0, new ProcessBuilder("mkfifo", pipe.toString()).start().waitFor());
    MulticastImage slow = new MulticastImage("slow", pipe, 5_000_000, SHA, false);
    sessions =
        new MulticastSessions(
            MulticastSettings.from(scheduled(2, 60, 10)),
            NetworkInterface.getByName("lo"),
            name -> Optional.of(slow),
            (config, image) -> new FakeSender(config, image));
    long start = System.nanoTime();
    JoinRefusedException busy =
        assertThrows(JoinRefusedException.class, () -> sessions.join("slow", "aa:01"));
    long waited = (System.nanoTime() - start) / 1_000_000;
    assertEquals(JoinRefusedException.Reason.BUSY, busy.reason());
    assertTrue(busy.getMessage().contains("still being digested"), busy.getMessage());
    assertTrue(waited < 10_000, "answered after " + waited + " ms");
    assertEquals(1, sessions.metrics().joinsRefused());
    // Let the digesting thread go: the pipe's writer opens and closes it.
    new java.io.FileOutputStream(pipe.toFile()).close();
  }

  @Test
  void unknownImageIsRefused() throws Exception {
    sessions(scheduled(1, 60, 10));
    JoinRefusedException e =
        assertThrows(JoinRefusedException.class, () -> sessions.join("win7", "aa:01"));
    assertEquals(JoinRefusedException.Reason.UNKNOWN_IMAGE, e.reason());
    assertTrue(e.getMessage().contains("win7"));
  }

  @Test
  void ticketSerializesAsJsonAndReadsBack() throws Exception {
    sessions(scheduled(2, 60, 10));
    JoinTicket t = sessions.join("win10", "aa:01");
    ObjectMapper json = new ObjectMapper();
    String text = json.writeValueAsString(t);
    JsonNode tree = json.readTree(text);
    assertEquals(
        Set.of(
            "sessionId",
            "sourceId",
            "group",
            "port",
            "secret",
            "feedbackKey",
            "senderKey",
            "encrypted",
            "image",
            "imageSize",
            "sha256",
            "blockSize",
            "blocksPerSection",
            "sectionDigests",
            "fecGroupBlocks",
            "maxRateMbps",
            "state",
            "startsBy"),
        fieldNames(tree));
    assertEquals("WAITING", tree.get("state").asText());
    assertTrue(tree.get("encrypted").asBoolean());
    assertEquals(32, t.receiverSecrets().groupSecret().length);
    assertEquals(32, t.receiverSecrets().feedbackKey().length);
    assertEquals((t.imageSize() + 358_399) / 358_400, t.sections().count());
    JoinTicket other = sessions.join("win10", "aa:02");
    assertEquals(t.secret(), other.secret(), "one shared key per session");
    assertNotEquals(t.feedbackKey(), other.feedbackKey(), "a feedback key per receiver");
    assertEquals(t.senderKey(), other.senderKey());
    assertEquals(t, json.readValue(text, JoinTicket.class));
    assertTrue(tree.get("group").asText().startsWith("239.1.1."));
  }

  private static Set<String> fieldNames(JsonNode tree) {
    Set<String> names = new HashSet<>();
    tree.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @Test
  void settingsTakeDefaultsAndNameTheBadField() {
    MulticastSettings s = MulticastSettings.from(dp("239.1.1.1", "239.1.1.1", 40000, 40000));
    assertEquals(MulticastSettings.DEFAULT_MAX_CLIENTS, s.maxClients());
    assertEquals(MulticastSettings.DEFAULT_MAX_RATE_MBPS, s.maxRateMbps());
    assertEquals(1, s.minClients());
    assertEquals(Duration.ofSeconds(60), s.maxWait());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> MulticastSettings.from(dp("10.0.0.1", "239.1.1.1", 40000, 40000)));
    assertTrue(e.getMessage().contains("multicast.addressRange.start"), e.getMessage());
    DistributionPointMulticast noPorts = dp("239.1.1.1", "239.1.1.1", 40000, 40000);
    noPorts.setPortRange(null);
    e = assertThrows(IllegalArgumentException.class, () -> MulticastSettings.from(noPorts));
    assertTrue(e.getMessage().contains("multicast.portRange"), e.getMessage());
    DistributionPointMulticast huge = dp("239.1.1.1", "239.1.1.1", 40000, 40000);
    huge.setMaxClients(5000);
    assertEquals(WireFormat.MAX_RECEIVERS, MulticastSettings.from(huge).maxClients());
    assertFalse(MulticastSettings.from(huge).maxClients() > 1024);
  }

  @Test
  void aSessionShowsItWaitsThenSendsThenRepairsAndTellsOfEachChange() throws Exception {
    sessions(scheduled(3, 3600, 10));
    java.util.concurrent.atomic.AtomicInteger changes =
        new java.util.concurrent.atomic.AtomicInteger();
    sessions.onChange(changes::incrementAndGet);
    sessions.join("win11", "m1");
    MulticastSessions.SessionInfo waiting = sessions.sessions().get(0);
    assertEquals(JoinTicket.StartState.WAITING, waiting.state());
    assertEquals(1, waiting.clients());
    assertEquals(3, waiting.minClients());
    assertTrue(waiting.startsBy().isAfter(java.time.Instant.now().plusSeconds(3500)));
    assertEquals(1, changes.get(), "the join");
    sessions.join("win11", "m2");
    sessions.join("win11", "m3");
    MulticastSessions.SessionInfo sending = sessions.sessions().get(0);
    assertEquals(JoinTicket.StartState.RUNNING, sending.state());
    assertEquals(0, sending.pass());
    assertNull(sending.startsBy());
    int before = changes.get();
    started.get(0).pass = 1;
    await("the repair pass told")
        .atMost(Duration.ofSeconds(10))
        .until(() -> changes.get() > before && sessions.sessions().get(0).pass() == 1);
    int repairing = changes.get();
    started.get(0).finish(SessionEnd.Reason.ALL_VERIFIED);
    await("the end told")
        .atMost(Duration.ofSeconds(10))
        .until(() -> changes.get() > repairing && sessions.sessions().isEmpty());
  }

  /** Records what the sessions asked of it; a test ends it by hand. */
  private static final class FakeSender implements SessionSender {
    final MulticastSender.Config config;
    final MulticastImage image;
    final CompletableFuture<MulticastSender.Result> result = new CompletableFuture<>();
    volatile boolean ending;
    volatile int pass;
    int lateReceivers;

    @Override
    public int pass() {
      return pass;
    }

    FakeSender(MulticastSender.Config config, MulticastImage image) {
      this.config = config;
      this.image = image;
    }

    void finish(SessionEnd.Reason reason) {
      ending = true;
      result.complete(new MulticastSender.Result(reason, 1, 1, 0, 0, 1000, 0, 0, 1, 0, 100));
    }

    @Override
    public boolean addExpectedReceiver() {
      if (ending) {
        return false;
      }
      lateReceivers++;
      return true;
    }

    @Override
    public CompletableFuture<MulticastSender.Result> result() {
      return result;
    }

    @Override
    public long bytesSent() {
      return 1000;
    }

    @Override
    public long repairBytes() {
      return 0;
    }

    @Override
    public long naksReceived() {
      return 0;
    }

    @Override
    public Map<DecodeException.Reason, Long> rejectedByReason() {
      Map<DecodeException.Reason, Long> m = new EnumMap<>(DecodeException.Reason.class);
      m.put(DecodeException.Reason.AUTHENTICATION_FAILED, 3L);
      return m;
    }

    @Override
    public void close() {}
  }
}
