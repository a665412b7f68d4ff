package io.osdeploy.daemon.pxe;

import io.osdeploy.api.v1alpha1.SmbiosUuid;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Optional;

/**
 * What a DHCP request tells about the machine that sent it: a PXE client announces itself with
 * vendor class {@code PXEClient...} (option 60), its architecture (option 93, RFC 4578) and its
 * SMBIOS UUID (option 97); iPXE adds user class {@code iPXE} (option 77) and its own options (175).
 *
 * @param uuid the SMBIOS UUID of option 97 as a lower-case UUID string, spelled as iPXE's {@code
 *     ${uuid}} and the machine's firmware show it; null when the client sent none (or all zeros)
 */
public record PxeClient(String mac, String uuid, int arch, boolean ipxe) {
  public static final int ARCH_BIOS = 0;
  public static final int ARCH_EFI_IA32 = 6;
  public static final int ARCH_EFI_X86_64 = 7;
  public static final int ARCH_EFI_BC = 9;

  /** Which of our boot files fits the machine's firmware. */
  public enum Firmware {
    BIOS,
    UEFI_X86_64,
    UNSUPPORTED
  }

  /**
   * The PXE client behind {@code request}, or empty when it is not one (an ordinary DHCP client).
   */
  public static Optional<PxeClient> of(DhcpPacket request) throws MalformedPacketException {
    Optional<String> vendor = request.optionString(DhcpOption.VENDOR_CLASS);
    Optional<String> mac = request.mac();
    if (vendor.isEmpty() || !vendor.get().startsWith("PXEClient") || mac.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new PxeClient(mac.get(), uuid(request), arch(request), ipxe(request)));
  }

  public Firmware firmware() {
    return switch (arch) {
      case ARCH_BIOS -> Firmware.BIOS;
      case ARCH_EFI_X86_64, ARCH_EFI_BC -> Firmware.UEFI_X86_64;
      default -> Firmware.UNSUPPORTED;
    };
  }

  private static int arch(DhcpPacket request) throws MalformedPacketException {
    Optional<byte[]> value = request.option(DhcpOption.CLIENT_ARCH);
    if (value.isEmpty()) {
      return ARCH_BIOS;
    }
    byte[] v = value.get();
    if (v.length < 2 || v.length % 2 != 0) {
      throw new MalformedPacketException(
          MalformedPacketException.Reason.BAD_FIELD,
          "option 93: length " + v.length + ", want a list of 2-byte architectures");
    }
    return ((v[0] & 0xff) << 8) | (v[1] & 0xff);
  }

  private static String uuid(DhcpPacket request) throws MalformedPacketException {
    Optional<byte[]> value = request.option(DhcpOption.CLIENT_UUID);
    if (value.isEmpty()) {
      return null;
    }
    byte[] v = value.get();
    if (v.length != 17 || v[0] != 0) {
      throw new MalformedPacketException(
          MalformedPacketException.Reason.BAD_FIELD,
          "option 97: want type 0 and 16 bytes (got " + v.length + " bytes)");
    }
    // Like SMBIOS 2.6, PXE clients send the first three fields little-endian (a GUID): QEMU's
    // -uuid 8c3e5a1b-2c3d-... arrives as 1b 5a 3e 8c 3d 2c ...
    byte[] b = {
      v[4], v[3], v[2], v[1], v[6], v[5], v[8], v[7], v[9], v[10], v[11], v[12], v[13], v[14],
      v[15], v[16]
    };
    String hex = HexFormat.of().formatHex(b);
    if (hex.chars().allMatch(c -> c == '0')) {
      return null;
    }
    return SmbiosUuid.parse(hex, "option 97");
  }

  private static boolean ipxe(DhcpPacket request) {
    if (request.options().containsKey(DhcpOption.IPXE_ENCAPSULATED)) {
      return true;
    }
    // iPXE sends the bare string; RFC 3004 clients prefix each class with its length.
    return request
        .option(DhcpOption.USER_CLASS)
        .map(v -> new String(v, StandardCharsets.US_ASCII).contains("iPXE"))
        .orElse(false);
  }
}
