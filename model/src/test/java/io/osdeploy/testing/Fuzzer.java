package io.osdeploy.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A small mutation fuzzer for parsers: starting from valid inputs (seeds) it flips bits, sets
 * boundary bytes, cuts, grows, repeats and splices, and feeds each result to the target. The target
 * may accept an input or refuse it with one of the expected exceptions; anything else thrown, or an
 * input that takes longer than the hang limit, fails the test with the input (hex, and a file under
 * {@code target/fuzz-findings/}) and the seed that reproduces the run.
 *
 * <p>The budget is a number of inputs, not a time: {@code -Dosdeploy.fuzz.inputs=N} (default 20,000
 * per target in the test command; a longer local run takes millions). Each run draws a new seed and
 * prints it; {@code -Dosdeploy.fuzz.seed=S} replays a run.
 */
public final class Fuzzer {
  /** What a target does with one input. */
  @FunctionalInterface
  public interface Target {
    void accept(byte[] input) throws Exception;
  }

  /** How a run went: inputs tried, accepted, and refused with an expected exception. */
  public record Report(String name, long seed, long inputs, long accepted, long refused) {
    @Override
    public String toString() {
      return String.format(
          "fuzz %s: %d inputs (seed %d): %d accepted, %d refused as expected",
          name, inputs, seed, accepted, refused);
    }
  }

  private static final byte[] INTERESTING = {
    0, 1, (byte) 0x7f, (byte) 0x80, (byte) 0xff, '%', '\n'
  };
  private static final long HANG_SECONDS = 10;

  private final String name;
  private final List<byte[]> seeds;
  private final List<Class<? extends Throwable>> expected;
  private final int maxLength;

  @SafeVarargs
  public Fuzzer(
      String name, List<byte[]> seeds, int maxLength, Class<? extends Throwable>... expected) {
    if (seeds.isEmpty()) {
      throw new IllegalArgumentException("a fuzzer needs at least one seed");
    }
    this.name = name;
    this.seeds = List.copyOf(seeds);
    this.maxLength = maxLength;
    this.expected = List.of(expected);
  }

  public static long budget() {
    return Long.getLong("osdeploy.fuzz.inputs", 20_000);
  }

  public Report run(Target target) throws Exception {
    return run(budget(), target);
  }

  /** A run of {@code inputs} inputs, the seeds first. */
  public Report run(long inputs, Target target) throws Exception {
    long seed = Long.getLong("osdeploy.fuzz.seed", System.nanoTime());
    Random random = new Random(seed);
    long accepted = 0;
    long refused = 0;
    List<byte[]> pool = new ArrayList<>(seeds);
    ExecutorService runner =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "fuzz-" + name);
              t.setDaemon(true);
              return t;
            });
    try {
      for (long i = 0; i < inputs; i++) {
        byte[] input = i < seeds.size() ? seeds.get((int) i) : mutate(pool, random);
        Future<?> run =
            runner.submit(
                () -> {
                  target.accept(input);
                  return null;
                });
        try {
          run.get(HANG_SECONDS, TimeUnit.SECONDS);
          accepted++;
          if (pool.size() < 256 && random.nextInt(64) == 0) {
            pool.add(input); // accepted inputs are good places to mutate from
          }
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (expected.stream().anyMatch(c -> c.isInstance(cause))) {
            refused++;
          } else {
            throw finding(input, seed, "threw " + cause, cause);
          }
        } catch (TimeoutException e) {
          run.cancel(true);
          throw finding(input, seed, "took longer than " + HANG_SECONDS + " s", null);
        }
      }
    } finally {
      runner.shutdownNow();
    }
    Report report = new Report(name, seed, inputs, accepted, refused);
    System.out.println(report);
    return report;
  }

  private byte[] mutate(List<byte[]> pool, Random random) {
    byte[] base = pool.get(random.nextInt(pool.size()));
    byte[] b = base.clone();
    int rounds = 1 + random.nextInt(4);
    for (int r = 0; r < rounds; r++) {
      switch (random.nextInt(8)) {
        case 0 -> {
          if (b.length > 0) {
            int at = random.nextInt(b.length);
            b[at] ^= (byte) (1 << random.nextInt(8));
          }
        }
        case 1 -> {
          if (b.length > 0) {
            b[random.nextInt(b.length)] = INTERESTING[random.nextInt(INTERESTING.length)];
          }
        }
        case 2 -> b = java.util.Arrays.copyOf(b, b.length == 0 ? 0 : random.nextInt(b.length));
        case 3 -> {
          byte[] tail = new byte[1 + random.nextInt(64)];
          random.nextBytes(tail);
          b = concat(b, tail);
        }
        case 4 -> {
          if (b.length > 1) {
            int from = random.nextInt(b.length);
            int len = 1 + random.nextInt(Math.min(64, b.length - from));
            byte[] chunk = java.util.Arrays.copyOfRange(b, from, from + len);
            int at = random.nextInt(b.length);
            b =
                concat(
                    concat(java.util.Arrays.copyOf(b, at), chunk),
                    java.util.Arrays.copyOfRange(b, at, b.length));
          }
        }
        case 5 -> {
          byte[] other = pool.get(random.nextInt(pool.size()));
          int cut = b.length == 0 ? 0 : random.nextInt(b.length);
          int from = other.length == 0 ? 0 : random.nextInt(other.length);
          b =
              concat(
                  java.util.Arrays.copyOf(b, cut),
                  java.util.Arrays.copyOfRange(other, from, other.length));
        }
        case 6 -> {
          if (b.length >= 4) {
            int at = random.nextInt(b.length - 3);
            int v =
                new int[] {0, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 65535, 65536}
                    [random.nextInt(6)];
            b[at] = (byte) (v >>> 24);
            b[at + 1] = (byte) (v >>> 16);
            b[at + 2] = (byte) (v >>> 8);
            b[at + 3] = (byte) v;
          }
        }
        default -> {
          b = new byte[random.nextInt(Math.min(maxLength, 512) + 1)];
          random.nextBytes(b);
        }
      }
    }
    return b.length > maxLength ? java.util.Arrays.copyOf(b, maxLength) : b;
  }

  private AssertionError finding(byte[] input, long seed, String what, Throwable cause) {
    Path file = Path.of("target", "fuzz-findings", name + "-" + seed + ".bin");
    try {
      Files.createDirectories(file.getParent());
      Files.write(file, input);
    } catch (IOException e) {
      file = null;
    }
    String hex = HexFormat.of().formatHex(input, 0, Math.min(input.length, 256));
    AssertionError error =
        new AssertionError(
            "fuzz "
                + name
                + ": an input "
                + what
                + " (replay with -Dosdeploy.fuzz.seed="
                + seed
                + "; input in "
                + file
                + "): "
                + hex);
    if (cause != null) {
      error.initCause(cause);
    }
    return error;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
