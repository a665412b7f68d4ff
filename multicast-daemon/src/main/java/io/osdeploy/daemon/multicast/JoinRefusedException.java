package io.osdeploy.daemon.multicast;

/** A join the DP cannot serve by multicast; the receiver falls back to unicast (or retries). */
public final class JoinRefusedException extends Exception {
  /** Why; the control endpoint maps it to an HTTP status. */
  public enum Reason {
    /** The DP holds no verified copy of the image (404). */
    UNKNOWN_IMAGE,
    /** Every group:port pair of the DP's ranges is in use (503, retry later). */
    NO_FREE_GROUP,
    /** The DP is shutting down (503). */
    CLOSED,
    /**
     * A limit on live sessions per node or live tickets per address is reached, or the image cannot
     * be read to digest its sections (503, retry later or fetch by unicast).
     */
    BUSY
  }

  private final Reason reason;

  public JoinRefusedException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
