package io.osdeploy.daemon.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.auth.MediaPassword;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class MediaPasswordsTest {
  private static String basic(String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString(("osdeploy:" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aFloodOfGuessesIsRefusedAsBusyBeyondTheQueueAndTheRightPasswordStillWorksAfter()
      throws Exception {
    try (MediaPasswords passwords = new MediaPasswords()) {
      passwords.publishPxe(MediaPassword.hash("pxe secret".toCharArray()));
      assertTrue(passwords.pxeRequired());
      List<CompletableFuture<Boolean>> guesses = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        guesses.add(passwords.admitsPxe(basic("guess " + i)));
      }
      int busy = 0;
      int refused = 0;
      for (CompletableFuture<Boolean> guess : guesses) {
        try {
          assertFalse(guess.get());
          refused++;
        } catch (ExecutionException e) {
          assertInstanceOf(MediaPasswords.Busy.class, e.getCause());
          busy++;
        }
      }
      // One checked at once, at most MAX_WAITING waiting: the rest never cost a PBKDF2 round.
      assertTrue(refused <= 1 + MediaPasswords.MAX_WAITING, "checked " + refused);
      assertEquals(40 - refused, busy);
      assertEquals(busy, passwords.busy());
      assertEquals(refused, passwords.refused());
      assertTrue(passwords.admitsPxe(basic("pxe secret")).get());
      assertFalse(passwords.admitsPxe(null).get(), "no password: asked for it");
      passwords.publishPxe(null);
      assertFalse(passwords.pxeRequired());
    }
  }
}
