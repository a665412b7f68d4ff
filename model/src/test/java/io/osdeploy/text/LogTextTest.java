package io.osdeploy.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LogTextTest {
  @Test
  void controlCharactersCannotForgeALogLine() {
    assertEquals(
        "a.efi?2026-12-05 [INFO] forged??[31m",
        LogText.of("a.efi\n2026-12-05 [INFO] forged\r\u001b[31m"));
  }

  @Test
  void longTextIsCut() {
    assertEquals("x".repeat(LogText.MAX) + "...", LogText.of("x".repeat(1000)));
    assertEquals("null", LogText.of(null));
  }
}
