package io.osdeploy.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.osdeploy.transfer.receive.ImageDownload;
import org.junit.jupiter.api.Test;

class ProgressLineTest {
  private static final long MIB = 1024 * 1024;

  @Test
  void showsBarShareAmountRateAndTimeLeft() {
    assertEquals(
        "win11 [#########-----------]  45% 18.0/40.0 MiB 2.0 MiB/s 11 s left (multicast)",
        ProgressLine.render(
            "win11", new ImageDownload.Progress(18 * MIB, 40 * MIB, "multicast"), 2 * MIB));
  }

  @Test
  void longWaitsInMinutesAndHours() {
    assertEquals(
        "win11 [--------------------]   0% 0.0/4096.0 MiB 1.0 MiB/s 1h08m left (unicast)",
        ProgressLine.render("win11", new ImageDownload.Progress(0, 4096 * MIB, "unicast"), MIB));
  }

  @Test
  void withoutATotalOnlyTheAmountAndNeverMoreThanTheWhole() {
    assertEquals(
        "win11 3.0 MiB (unicast)",
        ProgressLine.render("win11", new ImageDownload.Progress(3 * MIB, -1, "unicast"), 0));
    assertEquals(
        "win11 [####################] 100% 1.0/1.0 MiB (unicast)",
        ProgressLine.render("win11", new ImageDownload.Progress(2 * MIB, MIB, "unicast"), 0));
  }
}
