package io.osdeploy.transfer.wire;

import java.util.ArrayList;
import java.util.List;

/**
 * A systematic Reed-Solomon-style erasure code over GF(2^8) built from a Cauchy matrix: the data
 * blocks of a group are sent as they are, and parity row {@code r} is {@code sum_i C[r][i] * d_i}
 * with {@code C[r][i] = 1 / (r XOR (128 + i))}. Every square submatrix of a Cauchy matrix is
 * invertible, so a receiver missing {@code e} blocks of a group rebuilds them from any {@code e}
 * distinct parity rows, whichever rows those are. Groups have at most 128 blocks and 128 rows.
 * Blocks shorter than the block size (the image's last) count as zero-padded.
 */
public final class ParityCode {
  public static final int MAX_GROUP_BLOCKS = 128;
  public static final int MAX_ROWS = 128;

  private ParityCode() {}

  public static int coefficient(int row, int index) {
    if (row < 0 || row >= MAX_ROWS || index < 0 || index >= MAX_GROUP_BLOCKS) {
      throw new IllegalArgumentException("parity row " + row + " or block index " + index);
    }
    return Gf256.inverse(row ^ (MAX_ROWS + index));
  }

  /** Parity row {@code row} over {@code data} (each at most {@code blockSize} bytes). */
  public static byte[] encode(int row, byte[][] data, int blockSize) {
    byte[] parity = new byte[blockSize];
    for (int i = 0; i < data.length; i++) {
      Gf256.addScaled(parity, data[i], data[i].length, coefficient(row, i));
    }
    return parity;
  }

  /** A received parity block: its row and {@code blockSize} bytes. */
  public record Parity(int row, byte[] bytes) {}

  /**
   * Fills the {@code null} entries of {@code blocks} (the group's data blocks, known ones at their
   * real length) with full {@code blockSize}-byte reconstructions, using the first as many parities
   * as there are gaps. Callers trim the image's last block.
   *
   * @throws IllegalArgumentException if there are fewer parities than gaps, or rows repeat
   */
  public static void decode(byte[][] blocks, List<Parity> parities, int blockSize) {
    List<Integer> missing = new ArrayList<>();
    for (int i = 0; i < blocks.length; i++) {
      if (blocks[i] == null) {
        missing.add(i);
      }
    }
    int e = missing.size();
    if (e == 0) {
      return;
    }
    if (parities.size() < e) {
      throw new IllegalArgumentException(e + " blocks missing, only " + parities.size() + " rows");
    }
    // rhs_j = parity_j - sum over known blocks, leaving sum over missing blocks only.
    byte[][] rhs = new byte[e][];
    int[][] matrix = new int[e][e];
    for (int j = 0; j < e; j++) {
      Parity p = parities.get(j);
      rhs[j] = p.bytes().clone();
      for (int j2 = 0; j2 < j; j2++) {
        if (parities.get(j2).row() == p.row()) {
          throw new IllegalArgumentException("parity row " + p.row() + " given twice");
        }
      }
      for (int t = 0; t < e; t++) {
        matrix[j][t] = coefficient(p.row(), missing.get(t));
      }
    }
    for (int i = 0; i < blocks.length; i++) {
      if (blocks[i] != null) {
        for (int j = 0; j < e; j++) {
          Gf256.addScaled(
              rhs[j], blocks[i], blocks[i].length, coefficient(parities.get(j).row(), i));
        }
      }
    }
    int[][] inverse = Gf256.invert(matrix);
    for (int t = 0; t < e; t++) {
      byte[] block = new byte[blockSize];
      for (int j = 0; j < e; j++) {
        Gf256.addScaled(block, rhs[j], blockSize, inverse[t][j]);
      }
      blocks[missing.get(t)] = block;
    }
  }
}
