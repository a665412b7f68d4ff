package io.osdeploy.transfer.wire;

/**
 * RFC 4303-style anti-replay window for one source: accepts a sequence number greater than any
 * seen, or one of the last {@link #SIZE} not yet seen. Check only after authentication, or a forger
 * could advance the window.
 */
public final class ReplayWindow {
  public static final int SIZE = 1024;

  private final long[] seen = new long[SIZE / 64];
  private long highest;

  /** Records {@code sequence} and returns true if it was fresh; false if replayed or too old. */
  public synchronized boolean accept(long sequence) {
    if (sequence <= 0) {
      return false;
    }
    if (sequence > highest) {
      long shift = sequence - highest;
      if (shift >= SIZE) {
        java.util.Arrays.fill(seen, 0L);
      } else {
        for (long s = highest + 1; s < sequence; s++) {
          clear(s);
        }
      }
      highest = sequence;
      set(sequence);
      return true;
    }
    if (highest - sequence >= SIZE) {
      return false;
    }
    if (isSet(sequence)) {
      return false;
    }
    set(sequence);
    return true;
  }

  private int bit(long sequence) {
    return (int) (sequence % SIZE);
  }

  private void set(long sequence) {
    int b = bit(sequence);
    seen[b >>> 6] |= 1L << (b & 63);
  }

  private void clear(long sequence) {
    int b = bit(sequence);
    seen[b >>> 6] &= ~(1L << (b & 63));
  }

  private boolean isSet(long sequence) {
    int b = bit(sequence);
    return (seen[b >>> 6] & (1L << (b & 63))) != 0;
  }
}
