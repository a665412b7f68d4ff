package io.osdeploy.transfer.wire;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.Base64;

/**
 * What the DP's control endpoint hands a receiver that asked to join the multicast session of an
 * image: everything it needs to open the session (group, port, ids, the session secret) and to
 * check the result (size and SHA-256). A Jackson-serializable record; the secret travels only here,
 * so the endpoint must be HTTPS or on a trusted network.
 *
 * @param sessionId the session id on the wire, as an unsigned 32-bit number
 * @param sourceId this receiver's source id, unsigned 32-bit, non-zero
 * @param group IPv4 multicast group, dotted quad
 * @param port UDP port
 * @param secret the 32-byte session secret, base64 (RFC 4648, with padding)
 * @param encrypted whether DATA is AES-GCM encrypted (the image's {@code multicast.encrypt})
 * @param image the image name
 * @param imageSize bytes
 * @param sha256 the image's SHA-256, lower-case hex; success requires the file to match it
 * @param blockSize bytes per DATA block
 * @param fecGroupBlocks blocks per FEC group, 0 when the session sends no parity
 * @param maxRateMbps the session's rate cap
 * @param state WAITING (the session starts later) or RUNNING (late join: the carousel brings what
 *     the receiver missed)
 * @param startsBy for WAITING, the latest start time (ISO-8601 instant); null when RUNNING
 */
public record JoinTicket(
    long sessionId,
    long sourceId,
    String group,
    int port,
    String secret,
    boolean encrypted,
    String image,
    long imageSize,
    String sha256,
    int blockSize,
    int fecGroupBlocks,
    int maxRateMbps,
    StartState state,
    String startsBy) {

  /** Whether the session was already sending when the ticket was issued. */
  public enum StartState {
    WAITING,
    RUNNING
  }

  /** The decoded session secret. */
  @JsonIgnore
  public byte[] secretBytes() {
    return Base64.getDecoder().decode(secret);
  }
}
