package io.osdeploy.daemon.pxe;

/**
 * Whether a PXE-available deployment could serve a machine. The daemon answers it from its policy:
 * {@code !policy.offered(new PolicyRequest(mac, uuid, Source.PXE, null)).isEmpty()}.
 */
@FunctionalInterface
public interface MachineFilter {
  /**
   * @param mac lower case with colons
   * @param uuid lower-case UUID string, or null when the client sent none
   */
  boolean serves(String mac, String uuid);
}
