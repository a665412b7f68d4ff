package io.osdeploy.transfer.receive;

import java.nio.file.Path;

/**
 * What a receiver ended with. {@code missingAtFirstPassEnd} is how many blocks it lacked when it
 * first heard a pass end: its loss, or for a late joiner, also what it joined too late for. {@code
 * forgedSections} counts sections whose blocks did not match their digest (forged DATA or PARITY
 * from a joined receiver), {@code badSignatures} control messages not signed by the sender, {@code
 * congestedReports} the times it told the sender it was outrun (STATUS CONGESTED), {@code
 * overflowed} the datagrams the kernel dropped because this receiver's socket buffer was full (0
 * where the kernel's count cannot be read: not Linux, or not the epoll transport). Only {@link
 * Outcome#VERIFIED} means the file is the image; the file is partial or wrong in every other case.
 */
public record ReceiveResult(
    Outcome outcome,
    Path file,
    String sha256Hex,
    long blocks,
    long duplicateBlocks,
    long naksSent,
    long naksSuppressed,
    long droppedForTest,
    long blocksRebuiltFromParity,
    long missingAtFirstPassEnd,
    long rejectedDatagrams,
    long forgedSections,
    long badSignatures,
    long congestedReports,
    long overflowed) {

  /** The end state of a receiver. */
  public enum Outcome {
    VERIFIED,
    DIGEST_MISMATCH,
    INCOMPLETE
  }

  public boolean verified() {
    return outcome == Outcome.VERIFIED;
  }
}
