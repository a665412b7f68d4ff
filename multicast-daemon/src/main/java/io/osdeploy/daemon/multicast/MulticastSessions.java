package io.osdeploy.daemon.multicast;

import io.osdeploy.transfer.wire.DecodeException;
import io.osdeploy.transfer.wire.JoinTicket;
import io.osdeploy.transfer.wire.ReceiverSecrets;
import io.osdeploy.transfer.wire.SectionDigests;
import io.osdeploy.transfer.wire.SenderSecrets;
import io.osdeploy.transfer.wire.SessionEnd;
import io.osdeploy.transfer.wire.WireFormat;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The multicast sessions of one DP node. A receiver asks to {@link #join} an image; the first join
 * creates a session on a free group:port with a fresh secret, and the session starts once {@code
 * minClients} have joined or {@code maxWaitSeconds} after the first join, whichever comes first. A
 * join while a session of the image is sending is a late join into it (the carousel brings the
 * receiver what it missed). A session holds at most {@code maxClients}; the next join opens a new
 * session for the image, which starts by the same rule. Sessions free their group:port when they
 * end. At most {@link #MAX_LIVE_SESSIONS} sessions live at once, and one address holds at most
 * {@link #MAX_TICKETS_PER_ADDRESS} tickets of live sessions. Each ticket carries the digests of the
 * image's sections, computed once per image on a thread of their own (a large image takes a while)
 * and kept for the last {@link #DIGESTS_KEPT} images. Thread-safe.
 */
public final class MulticastSessions implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MulticastSessions.class);

  /** Live sessions per node: each has a sending thread and an event loop. */
  static final int MAX_LIVE_SESSIONS = 32;

  /** Tickets of live sessions one address may hold: more than a machine needs, few for a flood. */
  static final int MAX_TICKETS_PER_ADDRESS = 16;

  static final int DIGESTS_KEPT = 8;

  /** How long a join waits for an image's section digests before it is answered BUSY. */
  static final Duration DIGEST_WAIT = Duration.ofSeconds(2);

  /**
   * One session as the distribution point's status shows it.
   *
   * @param pass the pass being sent once it runs: 0 for the first, then repair passes
   * @param minClients the clients it waits for before it starts
   * @param startsBy when it starts at the latest, while it waits
   */
  public record SessionInfo(
      long sessionId,
      String image,
      String group,
      int port,
      JoinTicket.StartState state,
      int clients,
      int pass,
      int minClients,
      Instant startsBy) {}

  private final MulticastSettings settings;
  private final NetworkInterface iface;
  private final ImageCatalog catalog;
  private final SessionSender.Factory senders;
  private final GroupPool pool;
  private final SecureRandom random = new SecureRandom();
  private final ScheduledExecutorService timers;
  private final java.util.concurrent.ExecutorService digester =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "mc-digests");
            t.setDaemon(true);
            return t;
          });
  private final Map<Integer, Session> sessions = new LinkedHashMap<>();
  // Section digests by image SHA-256 and size; one computation per image even when joins race.
  private final Map<String, CompletableFuture<String>> digests =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CompletableFuture<String>> eldest) {
          return size() > DIGESTS_KEPT;
        }
      };
  private final Set<Integer> sessionIdsInUse = new HashSet<>();
  private final Map<DecodeException.Reason, Long> rejectedDone =
      new EnumMap<>(DecodeException.Reason.class);
  private long sessionsStarted;
  private long sessionsCompleted;
  private long sessionsAllVerified;
  private long clientsJoined;
  private long lateJoins;
  private long joinsRefused;
  private long bytesDone;
  private long repairBytesDone;
  private long naksDone;
  private boolean closed;

  /** Sessions sending real multicast on {@code iface}. */
  public MulticastSessions(
      MulticastSettings settings, NetworkInterface iface, ImageCatalog catalog) {
    this(settings, iface, catalog, MulticastSender.factory());
  }

  MulticastSessions(
      MulticastSettings settings,
      NetworkInterface iface,
      ImageCatalog catalog,
      SessionSender.Factory senders) {
    this.settings = settings;
    this.iface = iface;
    this.catalog = catalog;
    this.senders = senders;
    this.pool = new GroupPool(settings);
    this.timers =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "mc-sessions");
              t.setDaemon(true);
              return t;
            });
    timers.scheduleWithFixedDelay(this::watchPasses, 1, 1, TimeUnit.SECONDS);
  }

  /** A join from this host (receivers in the daemon's own process, and tests). */
  public JoinTicket join(String image, String clientId) throws JoinRefusedException {
    return join(image, clientId, InetAddress.getLoopbackAddress());
  }

  /**
   * Puts {@code clientId} in a session of {@code image} and returns its ticket. Joining again with
   * the same client id while its session lives returns the same source id (a retried request).
   *
   * @param from the address the join came from
   * @throws JoinRefusedException the image is unknown, every group:port is taken, a limit is
   *     reached, or the DP is closing
   */
  public JoinTicket join(String image, String clientId, InetAddress from)
      throws JoinRefusedException {
    MulticastImage img = find(image);
    return join(img, sectionDigests(img), clientId, from);
  }

  private synchronized MulticastImage find(String image) throws JoinRefusedException {
    if (closed) {
      joinsRefused++;
      throw new JoinRefusedException(JoinRefusedException.Reason.CLOSED, "the DP is shutting down");
    }
    return catalog
        .find(image)
        .orElseThrow(
            () -> {
              joinsRefused++;
              return new JoinRefusedException(
                  JoinRefusedException.Reason.UNKNOWN_IMAGE,
                  "no verified multicast copy of image " + image + " on this DP");
            });
  }

  /**
   * Starts digesting the image's sections in the background, if that is not done or under way: the
   * daemon calls it as soon as an image is verified, so that the first join finds them ready. The
   * future completes when they are.
   */
  public CompletableFuture<?> prepare(MulticastImage img) {
    return digestsOf(img);
  }

  private CompletableFuture<String> digestsOf(MulticastImage img) {
    String key = img.sha256() + "/" + img.size();
    synchronized (digests) {
      CompletableFuture<String> future = digests.get(key);
      if (future == null || future.isCompletedExceptionally()) {
        CompletableFuture<String> started = new CompletableFuture<>();
        digests.put(key, started);
        digester.execute(
            () -> {
              try {
                started.complete(
                    SectionDigests.compute(
                            img.file(),
                            img.size(),
                            WireFormat.DEFAULT_BLOCK_SIZE,
                            WireFormat.DEFAULT_BLOCKS_PER_SECTION)
                        .encoded());
              } catch (IOException | RuntimeException e) {
                started.completeExceptionally(e);
              }
            });
        future = started;
      }
      return future;
    }
  }

  /**
   * The image's section digests (base64). A join waits for them at most {@link #DIGEST_WAIT}; a
   * large image not yet digested (the daemon starts as soon as it is verified) gets BUSY, and the
   * receiver asks again.
   */
  private String sectionDigests(MulticastImage img) throws JoinRefusedException {
    try {
      return digestsOf(img).get(DIGEST_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      synchronized (this) {
        joinsRefused++;
      }
      throw new JoinRefusedException(
          JoinRefusedException.Reason.BUSY,
          "the sections of image " + img.name() + " are still being digested; ask again shortly");
    } catch (java.util.concurrent.ExecutionException e) {
      synchronized (this) {
        joinsRefused++;
      }
      throw new JoinRefusedException(
          JoinRefusedException.Reason.BUSY,
          "cannot read image " + img.name() + " to digest its sections: " + e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JoinRefusedException(JoinRefusedException.Reason.CLOSED, "interrupted");
    }
  }

  private synchronized JoinTicket join(
      MulticastImage img, String sectionDigests, String clientId, InetAddress from)
      throws JoinRefusedException {
    if (clientId == null || clientId.isBlank()) {
      throw new IllegalArgumentException("clientId is required");
    }
    for (Session s : sessions.values()) {
      Integer source = s.clients.get(clientId);
      if (source != null && s.image.equals(img)) {
        if (s.running()) {
          s.sender.receiverRejoined();
        }
        return s.ticket(source);
      }
    }
    int fromAddress = 0;
    for (Session s : sessions.values()) {
      fromAddress += (int) s.addresses.values().stream().filter(from::equals).count();
    }
    if (fromAddress >= MAX_TICKETS_PER_ADDRESS) {
      joinsRefused++;
      throw new JoinRefusedException(
          JoinRefusedException.Reason.BUSY,
          from.getHostAddress()
              + " already holds "
              + MAX_TICKETS_PER_ADDRESS
              + " tickets of live sessions");
    }
    Session session = null;
    // A running session first: a late join costs no extra bytes on the wire.
    for (Session s : sessions.values()) {
      if (s.image.equals(img) && s.running() && s.hasRoom() && s.sender.addExpectedReceiver()) {
        session = s;
        lateJoins++;
        break;
      }
    }
    if (session == null) {
      for (Session s : sessions.values()) {
        if (s.image.equals(img) && !s.running() && s.hasRoom()) {
          session = s;
          break;
        }
      }
    }
    if (session == null) {
      session = open(img, sectionDigests);
    }
    int source = session.clients.size() + 1;
    session.clients.put(clientId, source);
    session.addresses.put(clientId, from);
    clientsJoined++;
    LOG.info(
        "multicast join session={} image={} client={} source={} clients={} state={}",
        Integer.toUnsignedString(session.id),
        img.name(),
        clientId,
        source,
        session.clients.size(),
        session.running() ? "RUNNING" : "WAITING");
    if (!session.running() && session.clients.size() >= settings.minClients()) {
      start(session, "minClients reached");
    }
    onChange.run();
    return session.ticket(source);
  }

  /** The live sessions (waiting or sending). */
  public synchronized List<SessionInfo> sessions() {
    List<SessionInfo> out = new ArrayList<>();
    for (Session s : sessions.values()) {
      out.add(
          new SessionInfo(
              Integer.toUnsignedLong(s.id),
              s.image.name(),
              s.pair.groupDotted(),
              s.pair.port(),
              s.running() ? JoinTicket.StartState.RUNNING : JoinTicket.StartState.WAITING,
              s.clients.size(),
              s.running() ? s.sender.pass() : 0,
              settings.minClients(),
              s.running() ? null : s.startsBy));
    }
    return out;
  }

  public synchronized MulticastMetrics metrics() {
    long bytes = bytesDone;
    long repair = repairBytesDone;
    long naks = naksDone;
    Map<DecodeException.Reason, Long> rejected = new EnumMap<>(rejectedDone);
    for (Session s : sessions.values()) {
      if (s.sender != null) {
        bytes += s.sender.bytesSent();
        repair += s.sender.repairBytes();
        naks += s.sender.naksReceived();
        s.sender.rejectedByReason().forEach((r, n) -> rejected.merge(r, n, Long::sum));
      }
    }
    Map<String, Long> byName = new LinkedHashMap<>();
    rejected.forEach((r, n) -> byName.put(r.name(), n));
    return new MulticastMetrics(
        sessionsStarted,
        sessionsCompleted,
        sessionsAllVerified,
        sessions.size(),
        clientsJoined,
        lateJoins,
        joinsRefused,
        bytes,
        repair,
        naks,
        byName);
  }

  private Session open(MulticastImage img, String sectionDigests) throws JoinRefusedException {
    if (sessions.size() >= MAX_LIVE_SESSIONS) {
      joinsRefused++;
      throw new JoinRefusedException(
          JoinRefusedException.Reason.BUSY,
          MAX_LIVE_SESSIONS + " multicast sessions are live on this node");
    }
    GroupPool.Pair pair =
        pool.allocate()
            .orElseThrow(
                () -> {
                  joinsRefused++;
                  return new JoinRefusedException(
                      JoinRefusedException.Reason.NO_FREE_GROUP,
                      "all "
                          + pool.inUse()
                          + " group:port pairs of multicast.addressRange and portRange are in use");
                });
    int id;
    do {
      id = random.nextInt();
    } while (id == 0 || !sessionIdsInUse.add(id));
    Session s = new Session(id, img, pair, SenderSecrets.generate(random), sectionDigests);
    sessions.put(id, s);
    Duration wait = settings.maxWait();
    s.startsBy = Instant.now().plus(wait);
    s.timer =
        timers.schedule(() -> startOnTimer(s), Math.max(0, wait.toMillis()), TimeUnit.MILLISECONDS);
    LOG.info(
        "multicast session open session={} image={} group={}:{} startsBy={}",
        Integer.toUnsignedString(id),
        img.name(),
        pair.groupDotted(),
        pair.port(),
        s.startsBy);
    return s;
  }

  private void startOnTimer(Session s) {
    synchronized (this) {
      if (s.running() || sessions.get(s.id) != s) {
        return;
      }
      start(s, "maxWaitSeconds passed");
    }
    onChange.run();
  }

  private void start(Session s, String why) {
    if (s.timer != null) {
      s.timer.cancel(false);
    }
    MulticastSender.Config config =
        MulticastSender.Config.builder(
                s.address(), iface, s.id, s.secrets, settings.maxRateMbps(), s.clients.size())
            .encrypt(s.image.encrypt())
            .build();
    try {
      s.sender = senders.start(config, s.image);
    } catch (Exception e) {
      LOG.error(
          "multicast session failed to start session={} image={}",
          Integer.toUnsignedString(s.id),
          s.image.name(),
          e);
      end(s);
      return;
    }
    sessionsStarted++;
    s.startedNanos = System.nanoTime();
    LOG.info(
        "multicast session start session={} image={} clients={} why={}",
        Integer.toUnsignedString(s.id),
        s.image.name(),
        s.clients.size(),
        why);
    s.sender.result().whenComplete((r, e) -> timers.execute(() -> finished(s, r, e)));
  }

  /**
   * Told when what {@link #sessions()} shows may have changed: a join, a start, a repair pass, an
   * end. Called on the sessions' threads; it must return at once.
   */
  private volatile Runnable onChange = () -> {};

  public void onChange(Runnable listener) {
    this.onChange = listener;
  }

  // The timer thread's: each running session's pass when last looked at.
  private final Map<Integer, Integer> passesSeen = new java.util.HashMap<>();

  /** Tells {@link #onChange} when a running session began another pass. */
  private void watchPasses() {
    boolean moved = false;
    synchronized (this) {
      passesSeen.keySet().retainAll(sessions.keySet());
      for (Session s : sessions.values()) {
        if (s.running()) {
          // A session starts at pass 0, and its start was told.
          int now = s.sender.pass();
          Integer before = passesSeen.put(s.id, now);
          moved |= (before == null ? 0 : before) != now;
        }
      }
    }
    if (moved) {
      onChange.run();
    }
  }

  /** Told how each started session ended ({@code SessionEnd.Reason} name, or "error") and when. */
  private volatile java.util.function.BiConsumer<String, java.time.Duration> onSessionEnd =
      (reason, took) -> {};

  public void onSessionEnd(java.util.function.BiConsumer<String, java.time.Duration> listener) {
    this.onSessionEnd = listener;
  }

  private void finished(Session s, MulticastSender.Result r, Throwable e) {
    synchronized (this) {
      sessionsCompleted++;
      if (r != null && r.reason() == SessionEnd.Reason.ALL_VERIFIED) {
        sessionsAllVerified++;
      }
      bytesDone += s.sender.bytesSent();
      repairBytesDone += s.sender.repairBytes();
      naksDone += s.sender.naksReceived();
      s.sender.rejectedByReason().forEach((k, n) -> rejectedDone.merge(k, n, Long::sum));
      end(s);
      onSessionEnd.accept(
          r == null ? "error" : r.reason().name(),
          java.time.Duration.ofNanos(System.nanoTime() - s.startedNanos));
      LOG.info(
          "multicast session end session={} image={} reason={} freed={}:{}",
          Integer.toUnsignedString(s.id),
          s.image.name(),
          r == null ? "error: " + e : r.reason(),
          s.pair.groupDotted(),
          s.pair.port());
    }
    s.sender.close();
    onChange.run();
  }

  private void end(Session s) {
    sessions.remove(s.id);
    sessionIdsInUse.remove(s.id);
    pool.release(s.pair);
  }

  @Override
  public void close() {
    List<Session> live;
    synchronized (this) {
      closed = true;
      live = new ArrayList<>(sessions.values());
    }
    for (Session s : live) {
      if (s.sender != null) {
        s.sender.close();
      }
    }
    timers.shutdownNow();
    digester.shutdownNow();
  }

  private final class Session {
    final int id;
    final MulticastImage image;
    final GroupPool.Pair pair;
    final SenderSecrets secrets;
    final String sectionDigests;
    final Map<String, Integer> clients = new LinkedHashMap<>();
    final Map<String, InetAddress> addresses = new LinkedHashMap<>();
    Instant startsBy;
    ScheduledFuture<?> timer;
    SessionSender sender;
    long startedNanos;

    Session(
        int id,
        MulticastImage image,
        GroupPool.Pair pair,
        SenderSecrets secrets,
        String sectionDigests) {
      this.id = id;
      this.image = image;
      this.pair = pair;
      this.secrets = secrets;
      this.sectionDigests = sectionDigests;
    }

    boolean running() {
      return sender != null;
    }

    boolean hasRoom() {
      return clients.size() < settings.maxClients();
    }

    InetSocketAddress address() {
      try {
        return new InetSocketAddress(InetAddress.getByName(pair.groupDotted()), pair.port());
      } catch (UnknownHostException e) {
        throw new IllegalStateException("a dotted quad always parses", e);
      }
    }

    JoinTicket ticket(int source) {
      ReceiverSecrets receiver = secrets.receiver(source);
      Base64.Encoder base64 = Base64.getEncoder();
      return new JoinTicket(
          Integer.toUnsignedLong(id),
          source,
          pair.groupDotted(),
          pair.port(),
          base64.encodeToString(receiver.groupSecret()),
          base64.encodeToString(receiver.feedbackKey()),
          ReceiverSecrets.encodeKey(receiver.senderKey()),
          image.encrypt(),
          image.name(),
          image.size(),
          image.sha256(),
          WireFormat.DEFAULT_BLOCK_SIZE,
          WireFormat.DEFAULT_BLOCKS_PER_SECTION,
          sectionDigests,
          WireFormat.DEFAULT_FEC_GROUP_BLOCKS,
          settings.maxRateMbps(),
          running() ? JoinTicket.StartState.RUNNING : JoinTicket.StartState.WAITING,
          running() ? null : startsBy.toString());
    }
  }
}
