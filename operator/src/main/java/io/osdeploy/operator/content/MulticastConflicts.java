package io.osdeploy.operator.content;

import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.DistributionPointMulticast;
import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;

/**
 * Two distribution points whose multicast address ranges and port ranges both overlap would send
 * sessions onto the same groups and ports. The older one (by creation time, then namespace/name)
 * keeps its ranges; the newer one must change.
 */
public final class MulticastConflicts {
  private static final Comparator<DistributionPoint> AGE =
      Comparator.comparing((DistributionPoint dp) -> dp.getMetadata().getCreationTimestamp())
          .thenComparing(dp -> dp.getMetadata().getNamespace())
          .thenComparing(dp -> dp.getMetadata().getName());

  private MulticastConflicts() {}

  /** The oldest distribution point older than {@code dp} whose ranges overlap with its ranges. */
  public static Optional<DistributionPoint> olderConflict(
      DistributionPoint dp, Collection<DistributionPoint> all) {
    if (!multicastEnabled(dp)) {
      return Optional.empty();
    }
    return all.stream()
        .filter(other -> !sameObject(dp, other))
        .filter(MulticastConflicts::multicastEnabled)
        .filter(other -> AGE.compare(other, dp) < 0)
        .filter(other -> overlap(dp.getSpec().getMulticast(), other.getSpec().getMulticast()))
        .min(AGE);
  }

  public static boolean overlap(DistributionPointMulticast a, DistributionPointMulticast b) {
    long aStart = ipv4(a.getAddressRange().getStart());
    long aEnd = ipv4(a.getAddressRange().getEnd());
    long bStart = ipv4(b.getAddressRange().getStart());
    long bEnd = ipv4(b.getAddressRange().getEnd());
    boolean addresses = aStart <= bEnd && bStart <= aEnd;
    boolean ports =
        a.getPortRange().getStart() <= b.getPortRange().getEnd()
            && b.getPortRange().getStart() <= a.getPortRange().getEnd();
    return addresses && ports;
  }

  public static long ipv4(String dotted) {
    long value = 0;
    for (String part : dotted.split("\\.")) {
      value = value * 256 + Integer.parseInt(part);
    }
    return value;
  }

  private static boolean multicastEnabled(DistributionPoint dp) {
    DistributionPointMulticast m = dp.getSpec() == null ? null : dp.getSpec().getMulticast();
    return m != null
        && Boolean.TRUE.equals(m.getEnabled())
        && m.getAddressRange() != null
        && m.getPortRange() != null;
  }

  private static boolean sameObject(DistributionPoint a, DistributionPoint b) {
    return a.getMetadata().getNamespace().equals(b.getMetadata().getNamespace())
        && a.getMetadata().getName().equals(b.getMetadata().getName());
  }
}
