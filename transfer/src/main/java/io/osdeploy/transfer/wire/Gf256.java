package io.osdeploy.transfer.wire;

/**
 * Arithmetic in GF(2^8) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D). Addition is XOR;
 * multiplication goes through a full 256 x 256 table so the inner loops of the parity code are one
 * lookup per byte.
 */
final class Gf256 {
  private static final int POLYNOMIAL = 0x11D;
  private static final int[] EXP = new int[512];
  private static final int[] LOG = new int[256];
  private static final byte[][] MUL = new byte[256][256];

  static {
    int x = 1;
    for (int i = 0; i < 255; i++) {
      EXP[i] = x;
      LOG[x] = i;
      x <<= 1;
      if (x >= 256) {
        x ^= POLYNOMIAL;
      }
    }
    for (int i = 255; i < EXP.length; i++) {
      EXP[i] = EXP[i - 255];
    }
    for (int a = 1; a < 256; a++) {
      for (int b = 1; b < 256; b++) {
        MUL[a][b] = (byte) EXP[LOG[a] + LOG[b]];
      }
    }
  }

  private Gf256() {}

  static int mul(int a, int b) {
    return MUL[a][b] & 0xFF;
  }

  static int inverse(int a) {
    if (a == 0) {
      throw new ArithmeticException("0 has no inverse in GF(256)");
    }
    return EXP[255 - LOG[a]];
  }

  /** {@code acc[0..length) += coefficient * src[0..length)}. */
  static void addScaled(byte[] acc, byte[] src, int length, int coefficient) {
    if (coefficient == 0) {
      return;
    }
    if (coefficient == 1) {
      for (int i = 0; i < length; i++) {
        acc[i] ^= src[i];
      }
      return;
    }
    byte[] row = MUL[coefficient];
    for (int i = 0; i < length; i++) {
      acc[i] ^= row[src[i] & 0xFF];
    }
  }

  /**
   * Inverts a square matrix in place of a copy (Gauss-Jordan); throws if it is singular, which a
   * Cauchy submatrix never is.
   */
  static int[][] invert(int[][] m) {
    int n = m.length;
    int[][] a = new int[n][2 * n];
    for (int r = 0; r < n; r++) {
      System.arraycopy(m[r], 0, a[r], 0, n);
      a[r][n + r] = 1;
    }
    for (int c = 0; c < n; c++) {
      int pivot = c;
      while (pivot < n && a[pivot][c] == 0) {
        pivot++;
      }
      if (pivot == n) {
        throw new ArithmeticException("singular matrix");
      }
      int[] t = a[pivot];
      a[pivot] = a[c];
      a[c] = t;
      int inv = inverse(a[c][c]);
      for (int k = 0; k < 2 * n; k++) {
        a[c][k] = mul(a[c][k], inv);
      }
      for (int r = 0; r < n; r++) {
        int f = a[r][c];
        if (r != c && f != 0) {
          for (int k = 0; k < 2 * n; k++) {
            a[r][k] ^= mul(f, a[c][k]);
          }
        }
      }
    }
    int[][] out = new int[n][n];
    for (int r = 0; r < n; r++) {
      System.arraycopy(a[r], n, out[r], 0, n);
    }
    return out;
  }
}
