package io.osdeploy.daemon.content;

import java.time.Duration;

/**
 * How long to wait before trying a failed image again: doubling from {@code first} up to {@code
 * max}. Content mismatches start at {@code max} and double up to {@code mismatchMax}: each try
 * downloads the whole image again over what may be a site's WAN link, and they are usually fixed by
 * a change to the OSImage, which restarts the download at once anyway.
 */
public record RetryPolicy(Duration first, Duration max, Duration mismatchMax) {
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofHours(1));

  /** The wait after the {@code failures}-th failure in a row (counting from 1). */
  public Duration delay(int failures, DownloadFailure failure) {
    Duration start = failure.contentMismatch() ? max : first;
    Duration cap = failure.contentMismatch() ? mismatchMax : max;
    Duration delay = start;
    for (int i = 1; i < failures && delay.compareTo(cap) < 0; i++) {
      delay = delay.multipliedBy(2);
    }
    return delay.compareTo(cap) > 0 ? cap : delay;
  }
}
