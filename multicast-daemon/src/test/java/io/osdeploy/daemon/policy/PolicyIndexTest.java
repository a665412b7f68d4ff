package io.osdeploy.daemon.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.osdeploy.api.v1alpha1.Target;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec.Availability;
import io.osdeploy.daemon.policy.PolicyRequest.Source;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PolicyIndexTest {
  private static final String MACHINE_MAC = "52:54:00:00:00:01";
  private static final String OTHER_MAC = "52:54:00:00:00:02";

  /** Where the asking machine stands relative to deployment "d". */
  enum Machine {
    IN_COLLECTION,
    UNKNOWN,
    KNOWN_TO_ANOTHER
  }

  /**
   * The availability matrix as the product defines it: the (availability, source, named) triples
   * for which a deployment is offered. Everything else is not.
   */
  private static final Set<String> OFFERED =
      Set.of(
          "ClientsMediaAndPxe/CLIENT/unnamed",
          "ClientsMediaAndPxe/CLIENT/named",
          "ClientsMediaAndPxe/MEDIA/unnamed",
          "ClientsMediaAndPxe/MEDIA/named",
          "ClientsMediaAndPxe/PXE/unnamed",
          "ClientsMediaAndPxe/PXE/named",
          "MediaAndPxe/MEDIA/unnamed",
          "MediaAndPxe/MEDIA/named",
          "MediaAndPxe/PXE/unnamed",
          "MediaAndPxe/PXE/named",
          "MediaAndPxeHidden/MEDIA/named",
          "MediaAndPxeHidden/PXE/named");

  static Stream<Arguments> matrix() {
    List<Arguments> cases = new ArrayList<>();
    for (Availability a : Availability.values()) {
      for (Source s : Source.values()) {
        for (boolean named : List.of(false, true)) {
          for (Machine m : Machine.values()) {
            boolean member = m != Machine.KNOWN_TO_ANOTHER;
            boolean offered =
                member && OFFERED.contains(a + "/" + s + "/" + (named ? "named" : "unnamed"));
            cases.add(Arguments.of(a, s, named, m, offered));
          }
        }
      }
    }
    return cases.stream();
  }

  private static TaskSequenceDeployment deployment(
      String name, Availability availability, boolean unknownComputers, String... macs) {
    TaskSequenceDeployment d = new TaskSequenceDeployment();
    d.getMetadata().setName(name);
    d.setSpec(new TaskSequenceDeploymentSpec());
    d.getSpec().setAvailability(availability);
    Target target = new Target();
    List<Target.Machine> machines = new ArrayList<>();
    for (int i = 0; i < macs.length; i++) {
      Target.Machine m = new Target.Machine();
      m.setName(name + "-" + i);
      m.setMac(macs[i]);
      machines.add(m);
    }
    target.setMachines(machines);
    target.setUnknownComputers(unknownComputers);
    d.getSpec().setTarget(target);
    return d;
  }

  @ParameterizedTest(name = "{0} from {1}, named={2}, machine {3}: offered={4}")
  @MethodSource("matrix")
  void availabilityMatrix(
      Availability availability, Source source, boolean named, Machine machine, boolean offered) {
    List<TaskSequenceDeployment> deployments = new ArrayList<>();
    switch (machine) {
      case IN_COLLECTION -> deployments.add(deployment("d", availability, false, MACHINE_MAC));
      case UNKNOWN -> deployments.add(deployment("d", availability, true, OTHER_MAC));
      case KNOWN_TO_ANOTHER -> {
        deployments.add(deployment("d", availability, true));
        // Another deployment knows the machine, with an availability that never offers it here.
        deployments.add(deployment("other", Availability.MediaAndPxeHidden, false, MACHINE_MAC));
      }
    }
    PolicyIndex index = PolicyIndex.of(deployments);
    List<String> got =
        index.offered(new PolicyRequest(MACHINE_MAC, null, source, named ? "d" : null)).stream()
            .map(d -> d.getMetadata().getName())
            .toList();
    assertEquals(offered ? List.of("d") : List.of(), got);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("spellings")
  void machinesMatchByMacOrUuidWhateverTheSpelling(String mac, String uuid) {
    TaskSequenceDeployment d =
        deployment("d", Availability.MediaAndPxe, false, "52:54:00:AB:CD:EF");
    d.getSpec()
        .getTarget()
        .getMachines()
        .get(0)
        .setSmbiosUuid("4C4C4544-0042-3510-8052-B3C04F4D3232");
    PolicyIndex index = PolicyIndex.of(List.of(d));
    assertEquals(1, index.offered(new PolicyRequest(mac, uuid, Source.PXE, null)).size());
  }

  static Stream<Arguments> spellings() {
    return Stream.of(
        Arguments.of("52-54-00-ab-cd-ef", null),
        Arguments.of("52:54:00:AB:CD:EF", null),
        Arguments.of(null, "4c4c4544-0042-3510-8052-b3c04f4d3232"),
        Arguments.of("00:00:00:00:00:00", "4C4C4544-0042-3510-8052-B3C04F4D3232"),
        // Without dashes, in braces: the same machine, not an unknown computer.
        Arguments.of(null, "4c4c454400423510 8052b3c04f4d3232".replace(" ", "")),
        Arguments.of(null, "{4C4C4544-0042-3510-8052-B3C04F4D3232}"));
  }

  @Test
  void aUuidThatIsNoUuidIsRefused() {
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () -> new PolicyRequest(null, "garbage", Source.PXE, null));
    assertEquals("uuid: not an SMBIOS UUID: garbage", e.getMessage());
  }

  @Test
  void anOfferNamesTheFirstTargetEntryThatMatchesTheMachine() {
    TaskSequenceDeployment d =
        deployment("d", Availability.MediaAndPxe, true, OTHER_MAC, MACHINE_MAC, MACHINE_MAC);
    d.getSpec()
        .getTarget()
        .getMachines()
        .get(2)
        .setSmbiosUuid("4c4c4544-0000-0000-0000-000000000002");
    PolicyIndex index = PolicyIndex.of(List.of(d));

    assertEquals(
        List.of("d-1"),
        names(index.offers(new PolicyRequest(MACHINE_MAC, null, Source.PXE, null))));
    assertEquals(
        List.of("d-2"),
        names(
            index.offers(
                new PolicyRequest(
                    null, "4C4C4544-0000-0000-0000-000000000002", Source.PXE, null))));
    // MAC and UUID of different entries: the entry listed first is the machine.
    assertEquals(
        List.of("d-0"),
        names(
            index.offers(
                new PolicyRequest(
                    OTHER_MAC, "4c4c4544-0000-0000-0000-000000000002", Source.PXE, null))));
    // An unknown computer is offered the deployment under no entry.
    List<PolicyIndex.Offer> unknown =
        index.offers(new PolicyRequest("52:54:00:00:00:09", null, Source.PXE, null));
    assertEquals(1, unknown.size());
    assertNull(unknown.get(0).machine());
  }

  private static List<String> names(List<PolicyIndex.Offer> offers) {
    return offers.stream().map(o -> o.machine().getName()).toList();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRequests")
  void badRequestsNameTheParameter(String mac, String uuid, String message) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> new PolicyRequest(mac, uuid, Source.PXE, null));
    assertEquals(message, e.getMessage());
  }

  static Stream<Arguments> badRequests() {
    return Stream.of(
        Arguments.of(null, null, "mac or uuid: at least one is required"),
        Arguments.of("52:54:00", null, "mac: not a MAC address: 52:54:00"));
  }
}
