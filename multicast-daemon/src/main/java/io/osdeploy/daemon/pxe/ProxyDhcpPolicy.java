package io.osdeploy.daemon.pxe;

import io.osdeploy.daemon.pxe.ProxyDhcpDecision.Answer;
import io.osdeploy.daemon.pxe.ProxyDhcpDecision.Ignored;
import io.osdeploy.daemon.pxe.ProxyDhcpDecision.RefusalReason;
import io.osdeploy.daemon.pxe.ProxyDhcpDecision.Refused;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Decides, per request, whether and what to answer. A proxyDHCP server (PXE 2.1) never hands out an
 * address: the site's DHCP server does that; we add the boot server and the boot file. A DISCOVER
 * on port 67 gets an OFFER; a REQUEST (or INFORM) on port 4011 gets an ACK.
 */
public final class ProxyDhcpPolicy {
  /**
   * PXE 2.1 vendor option 6, discovery control: bit 3 means "boot the file named in this offer".
   */
  private static final byte[] BOOT_FILE_IN_OFFER = {6, 1, 8, (byte) DhcpOption.END};

  private final ProxyDhcpSettings settings;
  private final MachineFilter machines;

  public ProxyDhcpPolicy(ProxyDhcpSettings settings, MachineFilter machines) {
    this.settings = settings;
    this.machines = machines;
  }

  /**
   * @param pxePort true when the request came to port 4011 (the boot server port), false for 67
   */
  public ProxyDhcpDecision decide(DhcpPacket request, boolean pxePort)
      throws MalformedPacketException {
    if (request.op() != DhcpPacket.BOOTREQUEST) {
      return new Ignored("op " + request.op() + " is not a request");
    }
    OptionalInt type = request.messageType();
    if (type.isEmpty()) {
      return new Ignored("no message type (plain BOOTP)");
    }
    int reply;
    if (!pxePort && type.getAsInt() == DhcpOption.DISCOVER) {
      reply = DhcpOption.OFFER;
    } else if (pxePort
        && (type.getAsInt() == DhcpOption.REQUEST || type.getAsInt() == DhcpOption.INFORM)) {
      reply = DhcpOption.ACK;
    } else {
      return new Ignored("message type " + type.getAsInt() + " on port " + (pxePort ? 4011 : 67));
    }
    Optional<PxeClient> found = PxeClient.of(request);
    if (found.isEmpty()) {
      return new Ignored("not a PXE client");
    }
    PxeClient client = found.get();
    String bootFile;
    if (client.ipxe()) {
      bootFile = settings.bootScriptUrl();
    } else {
      switch (client.firmware()) {
        case BIOS -> bootFile = settings.biosBootFile();
        case UEFI_X86_64 -> bootFile = settings.uefiBootFile();
        default -> {
          return new Refused(client, RefusalReason.UNSUPPORTED_ARCHITECTURE);
        }
      }
    }
    if (!settings.answerAll() && !machines.serves(client.mac(), client.uuid())) {
      return new Refused(client, RefusalReason.UNKNOWN_MACHINE);
    }
    return new Answer(reply(request, reply, bootFile), client, bootFile);
  }

  private DhcpPacket reply(DhcpPacket request, int type, String bootFile) {
    Map<Integer, byte[]> options = new LinkedHashMap<>();
    options.put(DhcpOption.MESSAGE_TYPE, new byte[] {(byte) type});
    options.put(DhcpOption.SERVER_ID, settings.serverAddress().getAddress());
    options.put(DhcpOption.VENDOR_CLASS, "PXEClient".getBytes(StandardCharsets.US_ASCII));
    request.option(DhcpOption.CLIENT_UUID).ifPresent(v -> options.put(DhcpOption.CLIENT_UUID, v));
    options.put(DhcpOption.VENDOR_SPECIFIC, BOOT_FILE_IN_OFFER);
    String server = settings.serverAddress().getHostAddress();
    options.put(DhcpOption.TFTP_SERVER_NAME, server.getBytes(StandardCharsets.US_ASCII));
    options.put(DhcpOption.BOOTFILE_NAME, bootFile.getBytes(StandardCharsets.US_ASCII));
    return new DhcpPacket(
        DhcpPacket.BOOTREPLY,
        request.htype(),
        request.hlen(),
        0,
        request.xid(),
        0,
        request.flags(),
        request.ciaddr(),
        DhcpPacket.ZERO,
        settings.serverAddress(),
        request.giaddr(),
        request.chaddr(),
        server,
        // The file field holds 128 bytes; option 67 carries the name in full either way.
        bootFile.length() <= 127 ? bootFile : "",
        options);
  }
}
