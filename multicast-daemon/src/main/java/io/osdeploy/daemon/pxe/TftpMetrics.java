package io.osdeploy.daemon.pxe;

/** Counters of the TFTP service since it started. */
public record TftpMetrics(
    long transfersStarted,
    long transfersCompleted,
    long transfersFailed,
    long bytesSent,
    long retransmissions,
    long notFound,
    long traversalRefused,
    long writeRefused,
    long malformed,
    long busyRefused) {}
