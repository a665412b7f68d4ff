package io.osdeploy.daemon.content;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  @Test
  void networkFailuresBackOffFromFiveSecondsToFiveMinutes() {
    DownloadFailure failure = DownloadFailure.httpStatus(URI.create("http://h/x"), 503);
    List<Long> seconds =
        IntStream.rangeClosed(1, 9)
            .mapToObj(n -> RetryPolicy.DEFAULT.delay(n, failure).toSeconds())
            .toList();
    assertEquals(List.of(5L, 10L, 20L, 40L, 80L, 160L, 300L, 300L, 300L), seconds);
  }

  @Test
  void contentMismatchesWaitMinutesToAnHour() {
    DownloadFailure failure = DownloadFailure.checksum("a", "b");
    assertEquals(Duration.ofMinutes(5), RetryPolicy.DEFAULT.delay(1, failure));
    assertEquals(Duration.ofMinutes(10), RetryPolicy.DEFAULT.delay(2, failure));
    assertEquals(Duration.ofHours(1), RetryPolicy.DEFAULT.delay(30, failure));
  }
}
