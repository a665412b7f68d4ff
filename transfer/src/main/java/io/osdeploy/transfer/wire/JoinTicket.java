package io.osdeploy.transfer.wire;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.Base64;

/**
 * What the DP's control endpoint hands a receiver that asked to join the multicast session of an
 * image: everything it needs to open the session (group, port, ids, the shared secret, its own
 * feedback key, the sender's public key) and to check what arrives (each section's digest, the
 * image's size and SHA-256). A Jackson-serializable record; the secrets travel only here, to a
 * machine whose token lets it fetch the image.
 *
 * @param sessionId the session id on the wire, as an unsigned 32-bit number
 * @param sourceId this receiver's source id, unsigned 32-bit, non-zero
 * @param group IPv4 multicast group, dotted quad
 * @param port UDP port
 * @param secret the 32-byte secret the session's datagrams are authenticated with, base64 (RFC
 *     4648, with padding); every receiver of the session has it
 * @param feedbackKey this receiver's own 32-byte key for its NAK and STATUS, base64
 * @param senderKey the sender's Ed25519 public key (X.509, base64), which checks its ANNOUNCE,
 *     PASS_END and SESSION_END
 * @param encrypted whether DATA is AES-GCM encrypted (the image's {@code multicast.encrypt})
 * @param image the image name
 * @param imageSize bytes
 * @param sha256 the image's SHA-256, lower-case hex; success requires the file to match it
 * @param blockSize bytes per DATA block
 * @param blocksPerSection blocks per section
 * @param sectionDigests the first 16 bytes of each section's SHA-256, in order, base64
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
    String feedbackKey,
    String senderKey,
    boolean encrypted,
    String image,
    long imageSize,
    String sha256,
    int blockSize,
    int blocksPerSection,
    String sectionDigests,
    int fecGroupBlocks,
    int maxRateMbps,
    StartState state,
    String startsBy) {

  /** Whether the session was already sending when the ticket was issued. */
  public enum StartState {
    WAITING,
    RUNNING
  }

  /** The decoded secrets; throws naming the field that does not decode. */
  @JsonIgnore
  public ReceiverSecrets receiverSecrets() {
    return new ReceiverSecrets(
        decode("secret", secret),
        decode("feedbackKey", feedbackKey),
        ReceiverSecrets.decodeKey(senderKey));
  }

  /** The decoded section digests, checked against the image's size and sections. */
  @JsonIgnore
  public SectionDigests sections() {
    return SectionDigests.decode(sectionDigests, imageSize, blockSize, blocksPerSection);
  }

  private static byte[] decode(String field, String base64) {
    try {
      return Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException(field + ": not base64", e);
    }
  }
}
