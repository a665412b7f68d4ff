package io.osdeploy.auth;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MediaPasswordTest {
  private static final String HASH = MediaPassword.hash("correct horse".toCharArray());

  @Test
  void verifiesTheRightPasswordOnly() {
    assertTrue(MediaPassword.verify("correct horse".toCharArray(), HASH));
    assertFalse(MediaPassword.verify("correct horse ".toCharArray(), HASH));
    assertFalse(MediaPassword.verify("Correct horse".toCharArray(), HASH));
  }

  @Test
  void hashIsSaltedAndHoldsNoPlainText() {
    String again = MediaPassword.hash("correct horse".toCharArray());
    assertNotEquals(HASH, again, "a fresh salt each time");
    assertTrue(MediaPassword.verify("correct horse".toCharArray(), again));
    assertFalse(HASH.contains("correct"));
    assertTrue(HASH.startsWith("pbkdf2-sha256$600000$"), HASH);
    assertTrue(MediaPassword.isHash(HASH));
  }

  @Test
  void rejectsMalformedHashesAndEmptyPasswords() {
    assertFalse(MediaPassword.isHash("correct horse"));
    assertFalse(MediaPassword.isHash(HASH.replace("$600000$", "$1$")), "too few iterations");
    assertFalse(MediaPassword.isHash(null));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> MediaPassword.verify("x".toCharArray(), "plain"));
    assertTrue(e.getMessage().startsWith("passwordHash:"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> MediaPassword.hash(new char[0]));
  }
}
