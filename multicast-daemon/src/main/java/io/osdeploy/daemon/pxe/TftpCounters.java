package io.osdeploy.daemon.pxe;

import java.util.concurrent.atomic.LongAdder;

/** The TFTP service's counters, shared by the server and its transfers. */
final class TftpCounters {
  final LongAdder started = new LongAdder();
  final LongAdder completed = new LongAdder();
  final LongAdder failed = new LongAdder();
  final LongAdder bytesSent = new LongAdder();
  final LongAdder retransmissions = new LongAdder();
  final LongAdder notFound = new LongAdder();
  final LongAdder traversal = new LongAdder();
  final LongAdder write = new LongAdder();
  final LongAdder malformed = new LongAdder();
  final LongAdder busy = new LongAdder();

  TftpMetrics snapshot() {
    return new TftpMetrics(
        started.sum(),
        completed.sum(),
        failed.sum(),
        bytesSent.sum(),
        retransmissions.sum(),
        notFound.sum(),
        traversal.sum(),
        write.sum(),
        malformed.sum(),
        busy.sum());
  }
}
