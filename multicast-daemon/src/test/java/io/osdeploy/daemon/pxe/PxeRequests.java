package io.osdeploy.daemon.pxe;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/** DHCP requests as PXE ROMs and iPXE send them. */
final class PxeRequests {
  /** Option 97 for SMBIOS UUID 8c3e5a1b-2c3d-4e5f-9a8b-7c6d5e4f3a2b: type 0, then a GUID. */
  static final byte[] UUID =
      HexFormat.of().parseHex("00" + "1b5a3e8c" + "3d2c" + "5f4e" + "9a8b7c6d5e4f3a2b");

  private PxeRequests() {}

  static DhcpPacket discover(String mac, int arch, boolean ipxe) {
    return request(mac, DhcpOption.DISCOVER, arch, ipxe, null);
  }

  static DhcpPacket request(String mac, int type, int arch, boolean ipxe, String vendorClass) {
    Map<Integer, byte[]> options = new LinkedHashMap<>();
    options.put(DhcpOption.MESSAGE_TYPE, new byte[] {(byte) type});
    options.put(DhcpOption.PARAMETER_REQUEST_LIST, new byte[] {1, 3, 6, 43, 60, 66, 67});
    options.put(
        DhcpOption.VENDOR_CLASS,
        (vendorClass != null ? vendorClass : String.format("PXEClient:Arch:%05d:UNDI:003016", arch))
            .getBytes(StandardCharsets.US_ASCII));
    options.put(DhcpOption.CLIENT_ARCH, new byte[] {(byte) (arch >> 8), (byte) arch});
    options.put(DhcpOption.CLIENT_NDI, new byte[] {1, 3, 16});
    options.put(DhcpOption.CLIENT_UUID, UUID);
    if (ipxe) {
      options.put(DhcpOption.USER_CLASS, "iPXE".getBytes(StandardCharsets.US_ASCII));
      options.put(DhcpOption.IPXE_ENCAPSULATED, new byte[] {(byte) 177, 5, 1, 1, 0, 0, 0});
    }
    return new DhcpPacket(
        DhcpPacket.BOOTREQUEST,
        DhcpPacket.HTYPE_ETHERNET,
        6,
        0,
        0x1234abcd,
        4,
        DhcpPacket.FLAG_BROADCAST,
        null,
        null,
        null,
        null,
        HexFormat.ofDelimiter(":").parseHex(mac),
        "",
        "",
        options);
  }
}
