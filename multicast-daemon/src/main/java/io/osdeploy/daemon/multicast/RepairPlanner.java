package io.osdeploy.daemon.multicast;

import io.osdeploy.transfer.wire.Nak;
import io.osdeploy.transfer.wire.ParityCode;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns the NAKs of one collection window into the next repair pass. Without FEC that is the union
 * of all NAKed blocks. With FEC groups of {@code g} blocks, a group that several receivers NAK
 * needs only as many fresh parity rows as the <em>worst single receiver</em> lacks in it (any
 * {@code e} rows rebuild any {@code e} gaps), where plain repair would resend the union of
 * everyone's gaps. A group is repaired with plain DATA when that is no more packets than parity (a
 * late joiner missing whole groups, or a single receiver), or when its 128 rows are used up.
 * Thread-safe: NAKs arrive on the event loop, the send loop takes plans.
 */
final class RepairPlanner {
  /** A group's parity rows to send in the next pass: {@code firstRow .. firstRow + count - 1}. */
  record ParityRun(int group, int firstRow, int count) {}

  /** One repair pass: DATA blocks to resend and parity rows to send. */
  record Plan(BitSet dataBlocks, List<ParityRun> parity) {
    boolean isEmpty() {
      return dataBlocks.isEmpty() && parity.isEmpty();
    }

    long packets() {
      return dataBlocks.cardinality() + parity.stream().mapToLong(ParityRun::count).sum();
    }
  }

  private final long blockCount;
  private final int blocksPerSection;
  private final int groupBlocks;
  private final BitSet union = new BitSet();
  // Worst single NAK entry per group in this window; groups lie inside one section.
  private final Map<Integer, Integer> need = new TreeMap<>();
  private final Map<Integer, Integer> rowsUsed = new HashMap<>();
  // Per receiver, the blocks it NAKed this window, for the loss estimate.
  private final Map<Integer, BitSet> bySource = new HashMap<>();

  /**
   * @param groupBlocks FEC group size; 0 turns parity off. Must divide {@code blocksPerSection}.
   */
  RepairPlanner(long blockCount, int blocksPerSection, int groupBlocks) {
    if (groupBlocks < 0
        || groupBlocks > ParityCode.MAX_GROUP_BLOCKS
        || (groupBlocks > 0 && blocksPerSection % groupBlocks != 0)) {
      throw new IllegalArgumentException(
          "fecGroupBlocks "
              + groupBlocks
              + " must be 0 or divide "
              + blocksPerSection
              + ", <= 128");
    }
    this.blockCount = blockCount;
    this.blocksPerSection = blocksPerSection;
    this.groupBlocks = groupBlocks;
  }

  synchronized void onNak(int source, Nak nak) {
    BitSet mine = bySource.computeIfAbsent(source, s -> new BitSet());
    for (Nak.Section s : nak.sections()) {
      long first = s.section() * blocksPerSection;
      if (first >= blockCount) {
        continue;
      }
      BitSet missing = s.missing();
      Map<Integer, Integer> counts = new HashMap<>();
      for (int i = missing.nextSetBit(0);
          i >= 0 && i < blocksPerSection && first + i < blockCount;
          i = missing.nextSetBit(i + 1)) {
        int block = (int) (first + i);
        union.set(block);
        mine.set(block);
        if (groupBlocks > 0) {
          counts.merge(block / groupBlocks, 1, Integer::sum);
        }
      }
      counts.forEach((g, c) -> need.merge(g, c, Math::max));
    }
  }

  /**
   * The largest fraction of {@code sent} that any one of {@code present} NAKed this window: how
   * much of the last pass the worst receiver that heard all of it lost. Call before {@link #take}.
   */
  synchronized double worstLoss(BitSet sent, Set<Integer> present) {
    int total = sent.cardinality();
    if (total == 0) {
      return 0;
    }
    int worst = 0;
    for (Map.Entry<Integer, BitSet> e : bySource.entrySet()) {
      if (present.contains(e.getKey())) {
        BitSet lost = (BitSet) e.getValue().clone();
        lost.and(sent);
        worst = Math.max(worst, lost.cardinality());
      }
    }
    return (double) worst / total;
  }

  /**
   * Per receiver of {@code present} that NAKed this window, the fraction of {@code sent} it NAKed.
   * Call before {@link #take}.
   */
  synchronized Map<Integer, Double> lossBySource(BitSet sent, Set<Integer> present) {
    Map<Integer, Double> out = new HashMap<>();
    int total = sent.cardinality();
    if (total == 0) {
      return out;
    }
    for (Map.Entry<Integer, BitSet> e : bySource.entrySet()) {
      if (present.contains(e.getKey())) {
        BitSet lost = (BitSet) e.getValue().clone();
        lost.and(sent);
        out.put(e.getKey(), (double) lost.cardinality() / total);
      }
    }
    return out;
  }

  /** The plan for the next pass; starts a new window. */
  synchronized Plan take() {
    BitSet data = new BitSet();
    List<ParityRun> parity = new ArrayList<>();
    if (groupBlocks == 0) {
      data.or(union);
    } else {
      for (int g : need.keySet()) {
        int from = g * groupBlocks;
        int to = (int) Math.min(blockCount, (long) from + groupBlocks);
        BitSet inGroup = union.get(from, to);
        int unionCount = inGroup.cardinality();
        int worst = need.get(g);
        int used = rowsUsed.getOrDefault(g, 0);
        if (worst >= unionCount || used + worst > ParityCode.MAX_ROWS) {
          for (int i = inGroup.nextSetBit(0); i >= 0; i = inGroup.nextSetBit(i + 1)) {
            data.set(from + i);
          }
        } else {
          parity.add(new ParityRun(g, used, worst));
          rowsUsed.put(g, used + worst);
        }
      }
    }
    union.clear();
    need.clear();
    bySource.clear();
    return new Plan(data, parity);
  }
}
