package io.osdeploy.daemon.pxe;

/**
 * A DHCP or TFTP datagram that is dropped or refused. The reason is what the metrics count; the
 * message names the offending field.
 */
public final class MalformedPacketException extends Exception {
  /** Why a datagram was not understood. */
  public enum Reason {
    TRUNCATED,
    OVERSIZED,
    BAD_MAGIC_COOKIE,
    OPTION_OVERRUN,
    BAD_FIELD,
    UNKNOWN_OPCODE
  }

  private final Reason reason;

  public MalformedPacketException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
