package io.osdeploy.daemon.multicast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RateControllerTest {
  @Test
  void highLossCutsTheRateMultiplicativelyDownToTheFloor() {
    RateController c = new RateController(RateController.defaults(500));
    assertEquals(350, c.onLoss(0.20), 1e-9);
    assertEquals(245, c.onLoss(0.10), 1e-9);
    for (int i = 0; i < 50; i++) {
      c.onLoss(0.5);
    }
    assertEquals(25, c.rateMbps(), 1e-9, "floor is a twentieth of the cap");
  }

  @Test
  void lowLossGrowsTheRateAdditivelyBackToTheCap() {
    RateController c = new RateController(RateController.defaults(500));
    c.onLoss(0.3);
    c.onLoss(0.3); // 245
    assertEquals(295, c.onLoss(0.0), 1e-9);
    assertEquals(345, c.onLoss(0.01), 1e-9);
    for (int i = 0; i < 10; i++) {
      c.onLoss(0);
    }
    assertEquals(500, c.rateMbps(), 1e-9);
  }

  @Test
  void anOutrunReceiverSlowsTheSenderToWhatItKeptUpWithButNotBelowHalfAtOnce() {
    RateController c = new RateController(RateController.defaults(1000));
    assertEquals(750, c.onCongestion(0.20), 1e-9, "20% lost: 1 - 0.20 - 0.05 of the rate");
    assertEquals(637.5, c.onCongestion(0.10), 1e-9, "10% lost: 0.85 of the rate");
    assertEquals(318.75, c.onCongestion(0.90), 1e-9, "at least half at once");
    for (int i = 0; i < 20; i++) {
      c.onCongestion(0.9);
    }
    assertEquals(50, c.rateMbps(), 1e-9, "the tuning's floor holds");
  }

  @Test
  void quietWhileWithinAPassSpeedsUpByAQuarterOrHalfAStep() {
    RateController c = new RateController(RateController.defaults(1000));
    c.onCongestion(0.9); // 500
    c.onCongestion(0.9); // 250
    c.onCongestion(0.9); // 125
    assertEquals(175, c.onQuiet(), 1e-9, "half a step (50) beats a quarter (31)");
    assertEquals(225, c.onQuiet(), 1e-9);
    assertEquals(281.25, c.onQuiet(), 1e-9, "a quarter up once that is more than half a step");
    for (int i = 0; i < 20; i++) {
      c.onQuiet();
    }
    assertEquals(1000, c.rateMbps(), 1e-9, "never above the cap");
  }

  @Test
  void moderateLossHoldsTheRate() {
    RateController c = new RateController(RateController.defaults(500));
    c.onLoss(0.5); // 350
    assertEquals(350, c.onLoss(0.05), 1e-9, "5% random loss is repaired, not a reason to slow");
  }

  @Test
  void badTuningNamesTheField() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new RateController.Tuning(100, 200, 0.5, 10, 0.1, 0.02));
    assertEquals(true, e.getMessage().contains("minMbps"));
    assertThrows(
        IllegalArgumentException.class,
        () -> new RateController.Tuning(100, 5, 1.5, 10, 0.1, 0.02));
  }
}
