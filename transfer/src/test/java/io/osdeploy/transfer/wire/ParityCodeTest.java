package io.osdeploy.transfer.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ParityCodeTest {
  private static final int BLOCK = 1400;

  @Test
  void fieldInversesMultiplyToOne() {
    for (int a = 1; a < 256; a++) {
      assertEquals(1, Gf256.mul(a, Gf256.inverse(a)), "a=" + a);
    }
  }

  @Test
  void anyGapsAreRebuiltFromAsManyRowsWhicheverRowsThoseAre() {
    Random rnd = new Random(42);
    for (int trial = 0; trial < 200; trial++) {
      int k = 1 + rnd.nextInt(ParityCode.MAX_GROUP_BLOCKS);
      byte[][] data = new byte[k][];
      for (int i = 0; i < k; i++) {
        // The image's last block may be short: the code treats it as zero-padded.
        data[i] = new byte[i == k - 1 ? 1 + rnd.nextInt(BLOCK) : BLOCK];
        rnd.nextBytes(data[i]);
      }
      int gaps = 1 + rnd.nextInt(Math.min(k, 12));
      List<Integer> rows = new ArrayList<>();
      for (int r = 0; r < ParityCode.MAX_ROWS; r++) {
        rows.add(r);
      }
      Collections.shuffle(rows, rnd);
      List<ParityCode.Parity> parities = new ArrayList<>();
      for (int j = 0; j < gaps; j++) {
        parities.add(
            new ParityCode.Parity(rows.get(j), ParityCode.encode(rows.get(j), data, BLOCK)));
      }
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < k; i++) {
        order.add(i);
      }
      Collections.shuffle(order, rnd);
      byte[][] received = data.clone();
      for (int j = 0; j < gaps; j++) {
        received[order.get(j)] = null;
      }
      ParityCode.decode(received, parities, BLOCK);
      for (int i = 0; i < k; i++) {
        assertArrayEquals(
            data[i], Arrays.copyOf(received[i], data[i].length), "trial " + trial + " block " + i);
      }
    }
  }

  @Test
  void tooFewRowsOrARepeatedRowIsRefused() {
    byte[][] data = {new byte[BLOCK], new byte[BLOCK], new byte[BLOCK]};
    data[0][0] = 1;
    ParityCode.Parity p0 = new ParityCode.Parity(0, ParityCode.encode(0, data, BLOCK));
    assertThrows(
        IllegalArgumentException.class,
        () -> ParityCode.decode(new byte[][] {null, null, data[2]}, List.of(p0), BLOCK));
    assertThrows(
        IllegalArgumentException.class,
        () -> ParityCode.decode(new byte[][] {null, null, data[2]}, List.of(p0, p0), BLOCK));
  }
}
