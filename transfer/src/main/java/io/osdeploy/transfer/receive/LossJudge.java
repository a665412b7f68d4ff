package io.osdeploy.transfer.receive;

import io.osdeploy.transfer.net.SocketDrops;
import io.osdeploy.transfer.wire.Status;
import java.util.concurrent.TimeUnit;

/**
 * Decides whether a receiver's loss over one interval says the sender outruns it, telling loss on
 * the way (a link slower than the sender's rate: always counts) from datagrams the kernel dropped
 * at the receiver's own full socket (it was short of CPU). A short overflow, a receiver still
 * compiling or paused for a moment, does not count: it catches up through the repair passes, and
 * slowing the sender for it slows every receiver. An overflow that goes on for {@link
 * #OVERFLOW_EXCUSED_NANOS} does: the receiver cannot keep up at this rate.
 *
 * <p>The kernel counts a drop when the datagram arrives; the receiver sees the gap in the sender's
 * sequence numbers only once it has read what was queued before it. Drops not yet matched to gaps
 * are kept, and forgotten once the socket's queue was empty at two readings in a row (every gap
 * they caused has been seen by then). Not thread-safe; the receiver's event loop owns it.
 */
final class LossJudge {
  static final long OVERFLOW_EXCUSED_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** What to tell the sender: the interval's datagrams received and lost. */
  record Congested(long received, long lost) {}

  private long dropsSeen = -1;
  private long unmatchedDrops;
  private boolean queueWasEmpty;
  private long lastReadingNanos = -1;
  private long overflowingSinceNanos = -1;
  private long overflowed;

  /**
   * Judges one interval: {@code expected} datagrams by the sender's sequence numbers, {@code
   * received} of them read, {@code socket} the counters read at its end (null: unknown, and all
   * gaps count). Returns what to report, or null when the sender does not outrun this receiver.
   */
  Congested judge(SocketDrops.Reading socket, long now, long expected, long received) {
    long dropped = 0;
    if (socket != null) {
      if (dropsSeen >= 0 && socket.drops() > dropsSeen) {
        dropped = socket.drops() - dropsSeen;
      }
      dropsSeen = socket.drops();
    }
    overflowed += dropped;
    if (dropped == 0) {
      overflowingSinceNanos = -1;
    } else if (overflowingSinceNanos < 0) {
      overflowingSinceNanos = lastReadingNanos < 0 ? now : lastReadingNanos;
    }
    lastReadingNanos = now;
    unmatchedDrops += dropped;
    long gaps = Math.max(0, expected - received);
    long matched = Math.min(gaps, unmatchedDrops);
    unmatchedDrops -= matched;
    boolean queueEmpty = socket != null && socket.queuedBytes() == 0;
    if (queueEmpty && queueWasEmpty) {
      unmatchedDrops = 0;
    }
    queueWasEmpty = queueEmpty;
    long onTheWay = gaps - matched;
    if (onTheWay >= Status.CONGESTED_LOSS * expected) {
      return new Congested(received, onTheWay);
    }
    boolean lasting =
        overflowingSinceNanos >= 0 && now - overflowingSinceNanos >= OVERFLOW_EXCUSED_NANOS;
    if (lasting && dropped >= Status.CONGESTED_LOSS * (dropped + received)) {
      return new Congested(received, dropped);
    }
    return null;
  }

  /** Datagrams the kernel dropped at the full socket so far, as far as readings have seen. */
  long overflowed() {
    return overflowed;
  }
}
