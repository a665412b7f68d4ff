package io.osdeploy.operator.content;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.DistributionPointMulticast;
import io.osdeploy.api.v1alpha1.DistributionPointSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class MulticastConflictsTest {
  private static DistributionPoint dp(
      String name, String created, String start, String end, int portStart, int portEnd) {
    DistributionPoint dp = new DistributionPoint();
    dp.getMetadata().setName(name);
    dp.getMetadata().setNamespace("site");
    dp.getMetadata().setCreationTimestamp(created);
    dp.setSpec(new DistributionPointSpec());
    DistributionPointMulticast m = new DistributionPointMulticast();
    m.setEnabled(true);
    var a = new DistributionPointMulticast.AddressRange();
    a.setStart(start);
    a.setEnd(end);
    m.setAddressRange(a);
    var p = new DistributionPointMulticast.PortRange();
    p.setStart(portStart);
    p.setEnd(portEnd);
    m.setPortRange(p);
    dp.getSpec().setMulticast(m);
    return dp;
  }

  private static final String T1 = "2026-11-23T10:00:00Z";
  private static final String T2 = "2026-11-23T10:00:05Z";

  @Test
  void theNewerOfTwoOverlappingDistributionPointsConflicts() {
    var older = dp("a", T1, "239.1.0.1", "239.1.0.100", 40000, 40100);
    var newer = dp("b", T2, "239.1.0.100", "239.1.0.200", 40100, 40200);
    List<DistributionPoint> all = List.of(older, newer);
    assertEquals(
        "a", MulticastConflicts.olderConflict(newer, all).orElseThrow().getMetadata().getName());
    assertTrue(MulticastConflicts.olderConflict(older, all).isEmpty());
  }

  @Test
  void sameCreationTimeFallsBackToTheName() {
    var a = dp("a", T1, "239.1.0.1", "239.1.0.100", 40000, 40100);
    var b = dp("b", T1, "239.1.0.1", "239.1.0.100", 40000, 40100);
    assertTrue(MulticastConflicts.olderConflict(a, List.of(a, b)).isEmpty());
    assertEquals(
        "a",
        MulticastConflicts.olderConflict(b, List.of(a, b)).orElseThrow().getMetadata().getName());
  }

  @Test
  void overlappingAddressesOnSeparatePortsDoNotConflict() {
    var older = dp("a", T1, "239.1.0.1", "239.1.0.100", 40000, 40099);
    var newer = dp("b", T2, "239.1.0.1", "239.1.0.100", 40100, 40199);
    assertTrue(MulticastConflicts.olderConflict(newer, List.of(older, newer)).isEmpty());
  }

  @Test
  void separateAddressesOnTheSamePortsDoNotConflict() {
    var older = dp("a", T1, "239.1.0.1", "239.1.0.255", 40000, 40099);
    var newer = dp("b", T2, "239.1.1.0", "239.1.1.255", 40000, 40099);
    assertTrue(MulticastConflicts.olderConflict(newer, List.of(older, newer)).isEmpty());
  }

  @Test
  void addressesCompareAsNumbersNotStrings() {
    assertTrue(MulticastConflicts.ipv4("239.1.0.9") < MulticastConflicts.ipv4("239.1.0.10"));
    assertEquals(0xEFFFFFFFL, MulticastConflicts.ipv4("239.255.255.255"));
  }

  @Test
  void aDistributionPointWithMulticastOffNeverConflicts() {
    var older = dp("a", T1, "239.1.0.1", "239.1.0.100", 40000, 40100);
    var off = dp("b", T2, "239.1.0.1", "239.1.0.100", 40000, 40100);
    off.getSpec().getMulticast().setEnabled(false);
    assertTrue(MulticastConflicts.olderConflict(off, List.of(older, off)).isEmpty());
  }
}
