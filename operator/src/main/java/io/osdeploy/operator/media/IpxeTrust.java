package io.osdeploy.operator.media;

import java.util.HexFormat;

/**
 * Pins an EFI iPXE to one CA. iPXE trusts the root certificates whose SHA-256 fingerprints it
 * carries; a stock build carries one, iPXE's own root CA, and takes no other at run time (its
 * {@code trust} setting is read only while it starts, from the platform). Building iPXE with {@code
 * TRUST=<ca.crt>} puts that CA's fingerprint where the stock one is; this does the same to a built
 * {@code ipxe.efi}, whose data is stored uncompressed. The result trusts exactly the pinned CA for
 * HTTPS (and CAs the platform's firmware declares, as any build does).
 *
 * <p>BIOS builds ({@code ipxe.lkrn}) are compressed and cannot be pinned this way.
 */
final class IpxeTrust {
  /** SHA-256 of iPXE's root CA certificate, the one root a stock iPXE build trusts. */
  static final byte[] IPXE_ROOT_CA =
      HexFormat.of().parseHex("9faf717b7f8ca2f93c256c79f8ac5591895d66d1ff3bee6397a70d29c65eed1a");

  private IpxeTrust() {}

  /**
   * A copy of {@code efi} trusting only the CA with {@code caFingerprint} (64 hex digits).
   *
   * @throws IllegalArgumentException when {@code efi} does not carry the stock root exactly once:
   *     it is not a stock build, and pinning it could leave another root trusted
   */
  static byte[] pin(byte[] efi, String caFingerprint, String file) {
    byte[] pinned = HexFormat.of().parseHex(caFingerprint);
    if (pinned.length != IPXE_ROOT_CA.length) {
      throw new IllegalArgumentException("caFingerprint: not a SHA-256 fingerprint");
    }
    int at = indexOf(efi, IPXE_ROOT_CA, 0);
    if (at < 0 || indexOf(efi, IPXE_ROOT_CA, at + 1) >= 0) {
      throw new IllegalArgumentException(
          file
              + ": does not carry iPXE's root CA fingerprint exactly once, so it cannot be pinned"
              + " to a CA; use Debian's ipxe.efi (Debian 13 or newer)");
    }
    byte[] copy = efi.clone();
    System.arraycopy(pinned, 0, copy, at, pinned.length);
    return copy;
  }

  static int indexOf(byte[] data, byte[] pattern, int from) {
    outer:
    for (int i = from; i <= data.length - pattern.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
