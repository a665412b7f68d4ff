package io.osdeploy.daemon;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.osdeploy.api.v1alpha1.DistributionPointMulticast;
import io.osdeploy.api.v1alpha1.ImageMulticast;
import io.osdeploy.api.v1alpha1.MulticastSessionState;
import io.osdeploy.config.DaemonConfig;
import io.osdeploy.daemon.content.VerifiedContent;
import io.osdeploy.daemon.multicast.JoinRefusedException;
import io.osdeploy.daemon.multicast.MulticastImage;
import io.osdeploy.daemon.multicast.MulticastJoin;
import io.osdeploy.daemon.multicast.MulticastMetrics;
import io.osdeploy.daemon.multicast.MulticastSessions;
import io.osdeploy.daemon.multicast.MulticastSettings;
import io.osdeploy.daemon.policy.PolicyBook;
import io.osdeploy.transfer.wire.JoinTicket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Multicast sessions under the distribution point's multicast settings, sending the images this
 * node holds verified. New settings serve new joins at once, and the sessions running under the old
 * ones finish first.
 */
final class MulticastComponent implements DaemonComponent, MulticastJoin {
  /** Its lines read as the daemon's own, as operators know them. */
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  private static final ObjectMapper JSON = new ObjectMapper();

  private final DaemonSettings settings;
  private final PolicyBook policy;
  private final VerifiedContent content;
  private final BiConsumer<String, Duration> sessionEnded;
  private final Runnable sessionsChanged;

  /** The configuration last applied: which images are assigned, and how they may be sent. */
  private volatile DaemonConfig config;

  private volatile MulticastSessions sessions;

  /** The settings the sessions run under, as JSON; null while multicast is off. */
  private String settingsKey;

  /**
   * @param content the verified images this node holds
   * @param sessionEnded told why each session ended and how long it ran
   * @param sessionsChanged told when what {@link #sessionStates()} shows may have changed
   */
  MulticastComponent(
      DaemonSettings settings,
      PolicyBook policy,
      VerifiedContent content,
      BiConsumer<String, Duration> sessionEnded,
      Runnable sessionsChanged) {
    this.settings = settings;
    this.policy = policy;
    this.content = content;
    this.sessionEnded = sessionEnded;
    this.sessionsChanged = sessionsChanged;
  }

  @Override
  public void apply(DaemonConfig next) {
    config = next;
    policy.setUnicastFallback(next.isUnicastFallback());
    DistributionPointMulticast m = next.getMulticast();
    boolean enabled = m != null && Boolean.TRUE.equals(m.getEnabled());
    String key;
    try {
      key = enabled ? JSON.writeValueAsString(m) : null;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("multicast settings always serialize", e);
    }
    if (Objects.equals(key, settingsKey)) {
      return;
    }
    MulticastSessions old = sessions;
    sessions = null;
    settingsKey = key;
    policy.setMulticastEnabled(enabled);
    if (enabled) {
      try {
        sessions =
            new MulticastSessions(MulticastSettings.from(m), multicastInterface(), this::catalog);
        sessions.onSessionEnd(sessionEnded);
        sessions.onChange(sessionsChanged);
        log.info("multicast enabled on {}", multicastInterface().getName());
        prepare();
      } catch (IllegalArgumentException | IOException e) {
        log.error("multicast: {}; joins are refused until the settings change", e.getMessage());
      }
    }
    if (old != null) {
      retire(old);
    }
  }

  private static void retire(MulticastSessions old) {
    Thread t =
        new Thread(
            () -> {
              try {
                while (!old.sessions().isEmpty()) {
                  Thread.sleep(2_000);
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              old.close();
            },
            "multicast-retire");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public JoinTicket join(String image, String client, InetAddress from)
      throws JoinRefusedException {
    MulticastSessions current = sessions;
    if (current == null) {
      throw new JoinRefusedException(
          JoinRefusedException.Reason.UNKNOWN_IMAGE,
          "multicast is not enabled on this distribution point (spec.multicast.enabled)");
    }
    return current.join(image, client, from);
  }

  /** Digests the sections of every image multicast may send, ahead of the first join. */
  void prepare() {
    MulticastSessions current = sessions;
    DaemonConfig assigned = config;
    if (current == null || assigned == null) {
      return;
    }
    for (DaemonConfig.Image image : assigned.getImages()) {
      catalog(image.getName()).ifPresent(current::prepare);
    }
  }

  /** An image multicast may send: verified here, and allowed by the OS image. */
  private Optional<MulticastImage> catalog(String image) {
    DaemonConfig current = config;
    if (current == null) {
      return Optional.empty();
    }
    Optional<DaemonConfig.Image> assigned =
        current.getImages().stream().filter(i -> i.getName().equals(image)).findFirst();
    if (assigned.isEmpty() || !ImageMulticast.allowed(assigned.get().getMulticast())) {
      return Optional.empty();
    }
    boolean encrypt = ImageMulticast.encrypt(assigned.get().getMulticast());
    return content
        .verified(image)
        .map(f -> new MulticastImage(f.image(), f.path(), f.size(), f.sha256(), encrypt));
  }

  /** The interface multicast goes out on: the one holding the advertised address. */
  private NetworkInterface multicastInterface() throws IOException {
    NetworkInterface iface =
        NetworkInterface.getByInetAddress(InetAddress.getByName(settings.advertiseAddress()));
    if (iface == null) {
      throw new IOException(
          "no network interface holds the advertised address " + settings.advertiseAddress());
    }
    return iface;
  }

  /**
   * The live sessions under the current settings as the node's status shows them, in the order they
   * opened.
   */
  List<MulticastSessionState> sessionStates() {
    MulticastSessions current = sessions;
    List<MulticastSessionState> states = new ArrayList<>();
    if (current == null) {
      return states;
    }
    for (MulticastSessions.SessionInfo s : current.sessions()) {
      boolean waiting = s.state() == JoinTicket.StartState.WAITING;
      states.add(
          new MulticastSessionState(
              s.image(),
              waiting
                  ? MulticastSessionState.State.Waiting
                  : s.pass() == 0
                      ? MulticastSessionState.State.Sending
                      : MulticastSessionState.State.Repairing,
              s.clients(),
              waiting ? Math.max(0, s.minClients() - s.clients()) : null,
              waiting && s.startsBy() != null
                  ? s.startsBy().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()
                  : null));
    }
    return states;
  }

  /** The sessions' counters; null while multicast is off. */
  MulticastMetrics metrics() {
    MulticastSessions current = sessions;
    return current == null ? null : current.metrics();
  }

  @Override
  public void close() {
    if (sessions != null) {
      sessions.close();
    }
  }
}
