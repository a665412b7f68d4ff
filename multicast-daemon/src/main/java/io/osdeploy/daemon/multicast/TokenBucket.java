package io.osdeploy.daemon.multicast;

import java.util.concurrent.locks.LockSupport;

/**
 * Paces the sender at a fixed rate: tokens are bytes on the wire, refilled continuously, with a
 * small burst so the send loop does not park for every datagram. Used by one thread.
 */
final class TokenBucket {
  private volatile double bytesPerNano;
  private final double capacity;
  private double tokens;
  private long last;

  TokenBucket(double megabitsPerSecond, int burstBytes) {
    if (megabitsPerSecond <= 0) {
      throw new IllegalArgumentException("rate must be positive");
    }
    this.bytesPerNano = megabitsPerSecond * 1_000_000 / 8 / 1e9;
    this.capacity = burstBytes;
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
      tokens = Math.min(capacity, tokens + (now - last) * bytesPerNano);
      last = now;
      // More than the burst is let through once the bucket is full, and paid back as debt.
      double needed = Math.min(bytes, capacity);
      if (tokens >= needed) {
        tokens -= bytes;
        return;
      }
      LockSupport.parkNanos((long) ((needed - tokens) / bytesPerNano));
    }
  }
}
