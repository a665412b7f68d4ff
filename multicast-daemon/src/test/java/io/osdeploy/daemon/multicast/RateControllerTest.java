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
