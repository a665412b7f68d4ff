package io.osdeploy.daemon.multicast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.transfer.wire.Nak;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RepairPlannerTest {
  private static final int BPS = 256;
  private static final int BLOCKS = 1000;

  private static Nak nak(long section, int... blocksInSection) {
    BitSet missing = new BitSet();
    for (int b : blocksInSection) {
      missing.set(b);
    }
    return new Nak(0, BPS / 8, List.of(new Nak.Section(section, missing)));
  }

  @Test
  void differentGapsAtTwoReceiversCostTheWorstReceiversCountInParity() {
    RepairPlanner p = new RepairPlanner(BLOCKS, BPS, 64);
    p.onNak(1, nak(0, 1, 5, 9)); // group 0: 3 gaps
    p.onNak(2, nak(0, 2, 6, 10, 40)); // group 0: 4 other gaps
    RepairPlanner.Plan plan = p.take();
    assertTrue(plan.dataBlocks().isEmpty());
    assertEquals(List.of(new RepairPlanner.ParityRun(0, 0, 4)), plan.parity());
    assertEquals(4, plan.packets(), "plain repair would resend the union of 7 blocks");
  }

  @Test
  void rowsAreNeverReusedAcrossPasses() {
    RepairPlanner p = new RepairPlanner(BLOCKS, BPS, 64);
    p.onNak(1, nak(0, 1, 5));
    p.onNak(2, nak(0, 2));
    assertEquals(List.of(new RepairPlanner.ParityRun(0, 0, 2)), p.take().parity());
    p.onNak(1, nak(0, 1));
    p.onNak(2, nak(0, 7));
    assertEquals(List.of(new RepairPlanner.ParityRun(0, 2, 1)), p.take().parity());
  }

  @Test
  void aSingleReceiverOrAWholeMissingGroupGetsPlainData() {
    RepairPlanner p = new RepairPlanner(BLOCKS, BPS, 64);
    p.onNak(1, nak(0, 3, 4));
    int[] wholeGroup = new int[64];
    for (int i = 0; i < 64; i++) {
      wholeGroup[i] = 64 + i;
    }
    p.onNak(2, nak(0, wholeGroup));
    RepairPlanner.Plan plan = p.take();
    BitSet expected = new BitSet();
    expected.set(3);
    expected.set(4);
    expected.set(64, 128);
    assertEquals(expected, plan.dataBlocks());
    assertTrue(plan.parity().isEmpty());
  }

  @Test
  void withoutFecTheUnionIsResentAndTheWindowStartsEmpty() {
    RepairPlanner p = new RepairPlanner(BLOCKS, BPS, 0);
    p.onNak(1, nak(1, 0, 1));
    p.onNak(2, nak(1, 1, 2));
    BitSet expected = new BitSet();
    expected.set(256, 259);
    assertEquals(expected, p.take().dataBlocks());
    assertTrue(p.take().isEmpty());
  }

  @Test
  void blocksBeyondTheImageAreIgnored() {
    RepairPlanner p = new RepairPlanner(BLOCKS, BPS, 0);
    p.onNak(1, nak(3, 200, 240)); // section 3 starts at block 768; 968 ok, 1008 beyond
    BitSet expected = new BitSet();
    expected.set(968);
    assertEquals(expected, p.take().dataBlocks());
  }

  @Test
  void worstLossCountsOnlyReceiversPresentForThePass() {
    RepairPlanner p = new RepairPlanner(BLOCKS, BPS, 64);
    BitSet sent = new BitSet();
    sent.set(0, 100);
    p.onNak(1, nak(0, 1, 2, 3, 4, 5));
    p.onNak(9, nak(0, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21)); // a late joiner
    assertEquals(0.05, p.worstLoss(sent, Set.of(1)), 1e-9);
    assertEquals(0.12, p.worstLoss(sent, Set.of(1, 9)), 1e-9);
  }

  @Test
  void groupsMustDivideTheSection() {
    assertThrows(IllegalArgumentException.class, () -> new RepairPlanner(BLOCKS, BPS, 48));
    assertThrows(IllegalArgumentException.class, () -> new RepairPlanner(BLOCKS, BPS, 256));
  }
}
