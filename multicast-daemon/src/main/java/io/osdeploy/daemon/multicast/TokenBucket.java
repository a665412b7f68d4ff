package io.osdeploy.daemon.multicast;

import java.util.concurrent.locks.LockSupport;

/**
 * Paces the sender at a fixed rate: tokens are bytes on the wire, refilled continuously, with a
 * small burst so the send loop does not park for every datagram. Used by one thread.
 *
 * <p>The bucket holds the burst and, on top, what accrues in {@link #LATE_WAKE_NANOS} at the rate
 * (at most another burst): a send loop that wakes up late keeps the tokens of its lateness. With
 * room for the burst alone those were lost on every late wake-up, and a pass ran 1-3% under the
 * rate asked for. At low rates the extra room is small, so a slow session is not sent in bursts.
 */
final class TokenBucket {
  static final long LATE_WAKE_NANOS = 10_000_000;
  private volatile double bytesPerNano;
  private final double burst;
  private double tokens;
  private long last;

  TokenBucket(double megabitsPerSecond, int burstBytes) {
    if (megabitsPerSecond <= 0) {
      throw new IllegalArgumentException("rate must be positive");
    }
    this.bytesPerNano = megabitsPerSecond * 1_000_000 / 8 / 1e9;
    this.burst = burstBytes;
    this.tokens = burstBytes;
    this.last = System.nanoTime();
  }

  /** Changes the rate from now on (loss-driven back-off). */
  void setRate(double megabitsPerSecond) {
    if (megabitsPerSecond <= 0) {
      throw new IllegalArgumentException("rate must be positive");
    }
    bytesPerNano = megabitsPerSecond * 1_000_000 / 8 / 1e9;
  }

  /** Blocks until {@code bytes} may go on the wire. */
  void acquire(int bytes) {
    while (true) {
      long now = System.nanoTime();
      double rate = bytesPerNano;
      double capacity = burst + Math.min(burst, LATE_WAKE_NANOS * rate);
      tokens = Math.min(capacity, tokens + (now - last) * rate);
      last = now;
      // More than the burst is let through once the bucket is full, and paid back as debt.
      double needed = Math.min(bytes, burst);
      if (tokens >= needed) {
        tokens -= bytes;
        return;
      }
      LockSupport.parkNanos((long) ((needed - tokens) / rate));
    }
  }
}
