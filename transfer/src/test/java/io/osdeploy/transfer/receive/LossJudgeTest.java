package io.osdeploy.transfer.receive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.osdeploy.transfer.net.SocketDrops.Reading;
import org.junit.jupiter.api.Test;

class LossJudgeTest {
  private static final long MS = 1_000_000;

  /** A judge that has read its socket once, at time 0, with nothing dropped or queued. */
  private static LossJudge started() {
    LossJudge judge = new LossJudge();
    judge.judge(new Reading(0, 0), 0, 0, 0);
    return judge;
  }

  @Test
  void gapsWithoutDropsAtTheSocketAreLossOnTheWay() {
    LossJudge judge = started();
    LossJudge.Congested c = judge.judge(new Reading(0, 0), 100 * MS, 1000, 600);
    assertNotNull(c);
    assertEquals(600, c.received());
    assertEquals(400, c.lost());
  }

  @Test
  void withoutTheSocketsCountersEveryGapCounts() {
    LossJudge judge = new LossJudge();
    judge.judge(null, 0, 0, 0);
    assertNotNull(judge.judge(null, 100 * MS, 1000, 700));
  }

  @Test
  void dropsAtTheSocketExcuseTheGapsTheyShowAsLater() {
    LossJudge judge = started();
    // A stall: the kernel drops 3,000 while the receiver still reads what was queued, in order.
    assertNull(judge.judge(new Reading(3000, 900_000), 600 * MS, 400, 400));
    // The gaps show once the queue is read; no more drops meanwhile.
    assertNull(judge.judge(new Reading(3000, 0), 700 * MS, 3500, 500));
    assertEquals(3000, judge.overflowed());
  }

  @Test
  void anOverflowThatGoesOnCounts() {
    LossJudge judge = started();
    long drops = 0;
    LossJudge.Congested last = null;
    for (int i = 1; i <= 12; i++) {
      drops += 1600;
      last = judge.judge(new Reading(drops, 4_000_000), i * 100 * MS, 100, 100);
      if (i * 100 * MS < LossJudge.OVERFLOW_EXCUSED_NANOS) {
        assertNull(last, "excused at " + i * 100 + " ms");
      }
    }
    assertNotNull(last, "after a second of overflow");
    assertEquals(100, last.received());
    assertEquals(1600, last.lost());
  }

  @Test
  void dropsLeftOverOnceTheQueueIsDrainedDoNotExcuseLaterLoss() {
    LossJudge judge = started();
    // 5,000 drops of which only 1,000 ever show as gaps (another socket's traffic on the port).
    assertNull(judge.judge(new Reading(5000, 0), 100 * MS, 2000, 1000));
    assertNull(judge.judge(new Reading(5000, 0), 200 * MS, 1000, 1000));
    // Loss on the way later is not hidden behind the 4,000 unmatched ones.
    assertNotNull(judge.judge(new Reading(5000, 0), 300 * MS, 1000, 500));
  }
}
