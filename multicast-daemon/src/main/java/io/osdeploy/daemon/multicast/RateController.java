package io.osdeploy.daemon.multicast;

/**
 * Loss-driven sending rate: multiplicative decrease when the worst receiver's loss in a pass
 * reaches a threshold, additive increase back towards the DP's cap while loss stays low, hold in
 * between. Loss below the threshold is treated as noise the repair passes absorb (a lossy Wi-Fi
 * bridge or a flaky port loses packets at any rate; slowing down would not help), loss above it as
 * a sign the sender outruns a link or a receiver. Not thread-safe; the send loop owns it.
 */
public final class RateController {
  /** Tuning; {@link #defaults(double)} gives the documented values. */
  public record Tuning(
      double maxMbps,
      double minMbps,
      double decreaseFactor,
      double increaseMbps,
      double backOffLoss,
      double increaseBelowLoss) {
    public Tuning {
      if (!(maxMbps > 0) || !(minMbps > 0) || minMbps > maxMbps) {
        throw new IllegalArgumentException(
            "rate bounds: minMbps " + minMbps + " must be in (0, maxMbps " + maxMbps + "]");
      }
      if (!(decreaseFactor > 0 && decreaseFactor < 1)) {
        throw new IllegalArgumentException("decreaseFactor " + decreaseFactor + " not in (0, 1)");
      }
      if (!(increaseBelowLoss <= backOffLoss)) {
        throw new IllegalArgumentException("increaseBelowLoss must not exceed backOffLoss");
      }
    }
  }

  private final Tuning tuning;
  private double rate;

  public RateController(Tuning tuning) {
    this.tuning = tuning;
    this.rate = tuning.maxMbps();
  }

  /** Back off by 0.7x at 10% loss, grow by a tenth of the cap per pass below 2%, floor at 5%. */
  public static Tuning defaults(double maxMbps) {
    return new Tuning(maxMbps, maxMbps / 20, 0.7, maxMbps / 10, 0.10, 0.02);
  }

  public double rateMbps() {
    return rate;
  }

  /**
   * A receiver lost {@code lossFraction} of the last interval's datagrams: the rate it kept up
   * with, less 5%, never below half the current rate at once nor below the tuning's floor.
   */
  public double onCongestion(double lossFraction) {
    double factor = Math.max(0.5, 1 - lossFraction - 0.05);
    rate = Math.max(tuning.minMbps(), rate * factor);
    return rate;
  }

  /**
   * No receiver was outrun for a while within a pass: up by a quarter, or by half an additive step
   * where that is more, towards the cap.
   */
  public double onQuiet() {
    rate = Math.min(tuning.maxMbps(), Math.max(rate + tuning.increaseMbps() / 2, rate * 1.25));
    return rate;
  }

  /** Feeds the worst receiver's loss fraction (0..1) over the last pass; returns the new rate. */
  public double onLoss(double lossFraction) {
    if (lossFraction >= tuning.backOffLoss()) {
      rate = Math.max(tuning.minMbps(), rate * tuning.decreaseFactor());
    } else if (lossFraction < tuning.increaseBelowLoss()) {
      rate = Math.min(tuning.maxMbps(), rate + tuning.increaseMbps());
    }
    return rate;
  }
}
