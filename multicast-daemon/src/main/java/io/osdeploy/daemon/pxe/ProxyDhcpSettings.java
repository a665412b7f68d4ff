package io.osdeploy.daemon.pxe;

import java.net.Inet4Address;
import java.util.Objects;

/**
 * What the proxyDHCP service tells PXE clients.
 *
 * @param serverAddress this node's address on the machines' network: the server id, the TFTP server
 *     and the host in the boot URL
 * @param httpPort the daemon's HTTP port, where {@code /v1/boot.ipxe} is served
 * @param biosBootFile the TFTP file for BIOS PXE ROMs
 * @param uefiBootFile the TFTP file for x86-64 UEFI PXE
 * @param answerAll answer every PXE client, not only machines a deployment is offered to
 */
public record ProxyDhcpSettings(
    Inet4Address serverAddress,
    int httpPort,
    String biosBootFile,
    String uefiBootFile,
    boolean answerAll) {
  public static final String UNDIONLY = "undionly.kpxe";
  public static final String SNPONLY = "snponly.efi";

  public ProxyDhcpSettings {
    Objects.requireNonNull(serverAddress, "serverAddress");
    if (serverAddress.isAnyLocalAddress()) {
      throw new IllegalArgumentException("serverAddress: clients cannot reach 0.0.0.0");
    }
    if (httpPort < 1 || httpPort > 65535) {
      throw new IllegalArgumentException("httpPort: must be between 1 and 65535");
    }
    biosBootFile = biosBootFile == null ? UNDIONLY : biosBootFile;
    uefiBootFile = uefiBootFile == null ? SNPONLY : uefiBootFile;
  }

  public ProxyDhcpSettings(Inet4Address serverAddress, int httpPort, boolean answerAll) {
    this(serverAddress, httpPort, UNDIONLY, SNPONLY, answerAll);
  }

  /**
   * The boot file for a client that runs iPXE already: iPXE expands the settings itself, and {@code
   * :hexhyp} spells the MAC with hyphens so the query needs no escaping.
   */
  public String bootScriptUrl() {
    return "http://"
        + serverAddress.getHostAddress()
        + ":"
        + httpPort
        + "/v1/boot.ipxe?mac=${net0/mac:hexhyp}&uuid=${uuid}";
  }
}
