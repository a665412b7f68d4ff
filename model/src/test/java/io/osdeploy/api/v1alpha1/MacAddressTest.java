package io.osdeploy.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MacAddressTest {
  @ParameterizedTest
  @ValueSource(strings = {"52:54:00:ab:cd:ef", "52-54-00-AB-CD-EF", "52:54-00:Ab:cD-ef"})
  void everySpellingOfOneMacIsTheSame(String spelling) {
    assertEquals("52:54:00:ab:cd:ef", MacAddress.normalize(spelling));
    assertEquals("52:54:00:ab:cd:ef", MacAddress.parse(spelling, "mac"));
  }

  @Test
  void normalizeKeepsNullAndChecksNothing() {
    assertNull(MacAddress.normalize(null));
    assertEquals("not:a:mac", MacAddress.normalize("NOT-A-MAC"));
  }

  @Test
  void parseTakesNullOrBlankAsAbsent() {
    assertNull(MacAddress.parse(null, "mac"));
    assertNull(MacAddress.parse("  ", "mac"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"52:54:00", "52:54:00:ab:cd:eg", "5254.00ab.cdef", "52:54:00:ab:cd:ef:01"})
  void parseRejectsWhatIsNotAMacNamingTheField(String notAMac) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> MacAddress.parse(notAMac, "--mac"));
    assertEquals("--mac: not a MAC address: " + notAMac, e.getMessage());
  }
}
