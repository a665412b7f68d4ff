package io.osdeploy.operator.media;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class IpxeTrustTest {
  private static final String CA = "ab".repeat(32);

  @Test
  void replacesTheStockRootAndNothingElse() {
    byte[] efi = new byte[200];
    System.arraycopy(IpxeTrust.IPXE_ROOT_CA, 0, efi, 100, 32);
    byte[] pinned = IpxeTrust.pin(efi, CA, "ipxe.efi");
    assertEquals(-1, IpxeTrust.indexOf(pinned, IpxeTrust.IPXE_ROOT_CA, 0));
    assertEquals(100, IpxeTrust.indexOf(pinned, HexFormat.of().parseHex(CA), 0));
    byte[] back = pinned.clone();
    System.arraycopy(IpxeTrust.IPXE_ROOT_CA, 0, back, 100, 32);
    assertArrayEquals(efi, back, "only the 32 bytes of the fingerprint change");
  }

  @Test
  void refusesABuildWithoutTheStockRootOrWithItTwice() {
    byte[] none = new byte[200];
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IpxeTrust.pin(none, CA, "x.efi"));
    assertTrue(e.getMessage().startsWith("x.efi: "), e.getMessage());
    byte[] twice = new byte[200];
    System.arraycopy(IpxeTrust.IPXE_ROOT_CA, 0, twice, 10, 32);
    System.arraycopy(IpxeTrust.IPXE_ROOT_CA, 0, twice, 100, 32);
    assertThrows(IllegalArgumentException.class, () -> IpxeTrust.pin(twice, CA, "x.efi"));
  }
}
