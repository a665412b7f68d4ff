package io.osdeploy.transfer.wire;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReplayWindowTest {
  @Test
  void acceptsIncreasingSequencesAndRejectsRepeats() {
    ReplayWindow w = new ReplayWindow();
    assertTrue(w.accept(1));
    assertTrue(w.accept(2));
    assertFalse(w.accept(2));
    assertFalse(w.accept(1));
  }

  @Test
  void acceptsReorderedSequenceOnceWithinTheWindow() {
    ReplayWindow w = new ReplayWindow();
    assertTrue(w.accept(10));
    assertTrue(w.accept(5));
    assertFalse(w.accept(5));
    assertTrue(w.accept(9));
  }

  @Test
  void rejectsSequencesOlderThanTheWindow() {
    ReplayWindow w = new ReplayWindow();
    assertTrue(w.accept(5000));
    assertFalse(w.accept(5000 - ReplayWindow.SIZE));
    assertTrue(w.accept(5000 - ReplayWindow.SIZE + 1));
  }

  @Test
  void rejectsZeroAndNegative() {
    ReplayWindow w = new ReplayWindow();
    assertFalse(w.accept(0));
    assertFalse(w.accept(-1));
  }

  @Test
  void slotReusedAfterTheWindowMovesIsFreshAgain() {
    ReplayWindow w = new ReplayWindow();
    assertTrue(w.accept(3));
    // 3 + SIZE maps to the same bit as 3; it is a new sequence and must be accepted.
    assertTrue(w.accept(3 + ReplayWindow.SIZE));
    assertFalse(w.accept(3 + ReplayWindow.SIZE));
    assertTrue(w.accept(3 + 2L * ReplayWindow.SIZE + 7));
    assertFalse(w.accept(3 + ReplayWindow.SIZE));
  }
}
