package io.osdeploy.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SmbiosUuidTest {
  private static final String CANONICAL = "4c4c4544-0042-3510-8052-b3c04f4d3232";

  @Test
  void everySpellingOfOneUuidIsTheSame() {
    for (String spelling :
        new String[] {
          CANONICAL,
          "4C4C4544-0042-3510-8052-B3C04F4D3232",
          "4c4c454400423510 8052b3c04f4d3232".replace(" ", ""),
          "{4C4C4544-0042-3510-8052-B3C04F4D3232}",
          " 4c4c4544-0042-3510-8052-b3c04f4d3232 "
        }) {
      assertEquals(CANONICAL, SmbiosUuid.parse(spelling, "uuid"), spelling);
    }
  }

  @Test
  void nothingIsNull() {
    assertNull(SmbiosUuid.parse(null, "uuid"));
    assertNull(SmbiosUuid.parse("  ", "uuid"));
  }

  @Test
  void garbageIsRefusedByName() {
    for (String bad :
        new String[] {
          "garbage",
          "4c4c4544-0042-3510-8052-b3c04f4d323",
          "4c4c4544-0042-3510-8052-b3c04f4d32321",
          "4c4c-4544-0042-3510-8052-b3c04f4d3232-",
          "4c4c4544-0042-3510-8052-b3c04f4d323z",
          "4c4c45-44-0042-3510-8052b3c04f4d3232"
        }) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> SmbiosUuid.parse(bad, "uuid"), bad);
      assertEquals("uuid: not an SMBIOS UUID: " + bad, e.getMessage());
    }
    assertEquals(
        "uuid: not an SMBIOS UUID: a?b",
        assertThrows(IllegalArgumentException.class, () -> SmbiosUuid.parse("a\nb", "uuid"))
            .getMessage());
  }
}
