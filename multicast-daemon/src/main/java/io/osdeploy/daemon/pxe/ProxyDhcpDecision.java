package io.osdeploy.daemon.pxe;

/** What the proxyDHCP service does with one request. */
public sealed interface ProxyDhcpDecision {

  /** Send {@code reply}: a proxy OFFER or ACK with the boot server and boot file only. */
  record Answer(DhcpPacket reply, PxeClient client, String bootFile) implements ProxyDhcpDecision {}

  /** A PXE client we will not boot; logged and counted. */
  record Refused(PxeClient client, RefusalReason reason) implements ProxyDhcpDecision {}

  /** Not ours to answer (no PXE client, or a message meant for the DHCP server). */
  record Ignored(String why) implements ProxyDhcpDecision {}

  /** Why a PXE client gets no answer. */
  enum RefusalReason {
    /** No PXE-available deployment is offered to the machine. */
    UNKNOWN_MACHINE,
    /** We have no boot file for the firmware's architecture. */
    UNSUPPORTED_ARCHITECTURE
  }
}
