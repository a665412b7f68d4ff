package io.osdeploy.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MachineTokenKeysTest {
  private static final Instant T0 = Instant.parse("2026-12-05T10:00:00Z");

  private static MachineToken claims(String key, Instant now) {
    return new MachineToken(
        key,
        "52:54:00:00:00:01",
        null,
        "pxe",
        List.of("win11-rollout"),
        List.of("win11"),
        now.getEpochSecond(),
        now.plus(MachineTokenKeys.TOKEN_LIFETIME).getEpochSecond());
  }

  @Test
  void aSignedTokenVerifiesWithItsClaimsUntilItExpires() {
    MachineTokenKeys keys = MachineTokenKeys.of(List.of(MachineTokenKeys.generate(T0)));
    String token = keys.sign(claims(keys.signing(T0).id(), T0));
    MachineTokenKeys.Verification ok = keys.verify(token, T0.plusSeconds(60));
    assertTrue(ok.valid());
    assertEquals("52:54:00:00:00:01", ok.token().machine());
    assertEquals(List.of("win11"), ok.token().images());
    assertEquals("expired", keys.verify(token, T0.plus(Duration.ofHours(1))).failure());
  }

  @Test
  void changedClaimsForeignKeysAndGarbageAreRefused() {
    MachineTokenKeys keys = MachineTokenKeys.of(List.of(MachineTokenKeys.generate(T0)));
    String token = keys.sign(claims(keys.signing(T0).id(), T0));
    String signature = token.substring(token.indexOf('.'));
    // The same signature over claims that name another image.
    MachineToken widened =
        new MachineToken(
            keys.signing(T0).id(),
            "52:54:00:00:00:01",
            null,
            "pxe",
            List.of("win11-rollout"),
            List.of("win11", "server2025"),
            T0.getEpochSecond(),
            T0.plusSeconds(3600).getEpochSecond());
    assertEquals("bad-signature", keys.verify(widened.encodedClaims() + signature, T0).failure());
    // Signed by a key of another distribution point with the same name.
    MachineTokenKeys other = MachineTokenKeys.of(List.of(MachineTokenKeys.generate(T0)));
    assertEquals(
        "bad-signature", keys.verify(other.sign(claims(keys.signing(T0).id(), T0)), T0).failure());
    MachineTokenKeys later =
        MachineTokenKeys.of(List.of(MachineTokenKeys.generate(T0.plusSeconds(5))));
    assertEquals(
        "unknown-key",
        keys.verify(later.sign(claims("key-" + T0.plusSeconds(5).getEpochSecond(), T0)), T0)
            .failure());
    for (String junk :
        List.of(
            "",
            "abc",
            "a.b.c",
            Base64.getUrlEncoder().encodeToString("{\"kid\":1}".getBytes()) + ".AAAA",
            "x".repeat(5000))) {
      assertEquals("malformed", keys.verify(junk, T0).failure(), junk);
    }
    assertEquals("malformed", keys.verify(null, T0).failure());
  }

  @Test
  void aNewKeySignsOnlyOnceEveryNodeCanHaveItAndTheOldOneVerifiesUntilRetired() {
    Map<String, String> secret = MachineTokenKeys.rotate(Map.of(), T0, MachineTokenKeys.ROTATION);
    assertEquals(1, secret.size());
    assertSame(
        secret, MachineTokenKeys.rotate(secret, T0.plusSeconds(60), MachineTokenKeys.ROTATION));
    String first = secret.keySet().iterator().next();

    Instant rotated = T0.plus(MachineTokenKeys.ROTATION);
    assertEquals(rotated, MachineTokenKeys.nextRotation(secret, T0, MachineTokenKeys.ROTATION));
    Map<String, String> two = MachineTokenKeys.rotate(secret, rotated, MachineTokenKeys.ROTATION);
    assertNotSame(secret, two);
    assertEquals(2, two.size());
    assertEquals(secret.get(first), two.get(first), "the old key is kept as it was");

    MachineTokenKeys keys =
        MachineTokenKeys.of(
            two.entrySet().stream()
                .map(e -> MachineTokenKeys.decode(e.getKey(), e.getValue()))
                .toList());
    assertEquals(
        first, keys.signing(rotated.plusSeconds(60)).id(), "the new key is not yet on every node");
    Instant published = rotated.plus(MachineTokenKeys.PUBLISH_DELAY);
    assertFalse(first.equals(keys.signing(published).id()));
    // A token the old key signed just before the switch still verifies for its whole life.
    Instant lastOld = published.minusSeconds(1);
    String old = keys.sign(claims(first, lastOld));
    assertTrue(
        keys.verify(old, lastOld.plus(MachineTokenKeys.TOKEN_LIFETIME).minusSeconds(1)).valid());

    Instant retire = rotated.plus(MachineTokenKeys.RETIRE_AFTER);
    assertEquals(retire, MachineTokenKeys.nextRotation(two, rotated, MachineTokenKeys.ROTATION));
    assertSame(
        two, MachineTokenKeys.rotate(two, retire.minusSeconds(1), MachineTokenKeys.ROTATION));
    Map<String, String> after = MachineTokenKeys.rotate(two, retire, MachineTokenKeys.ROTATION);
    assertEquals(1, after.size());
    assertFalse(after.containsKey(first));
    assertTrue(
        lastOld.plus(MachineTokenKeys.TOKEN_LIFETIME).isBefore(retire),
        "the old key outlives every token it signed");
  }

  @Test
  void aDamagedKeyIsReplacedAndNamedWhenRead(@TempDir Path dir) throws Exception {
    Map<String, String> damaged = Map.of("key-1", "not a key", "other", "x");
    Map<String, String> fixed = MachineTokenKeys.rotate(damaged, T0, MachineTokenKeys.ROTATION);
    assertEquals(1, fixed.size());
    assertFalse(fixed.containsKey("key-1"));

    Files.writeString(dir.resolve("key-1"), "not a key");
    Files.writeString(dir.resolve("..data"), "ignored");
    java.io.IOException e =
        assertThrows(java.io.IOException.class, () -> MachineTokenKeys.fromDirectory(dir));
    assertTrue(e.getMessage().contains("key-1"), e.getMessage());
    Files.delete(dir.resolve("key-1"));
    Map.Entry<String, String> good = fixed.entrySet().iterator().next();
    Files.writeString(dir.resolve(good.getKey()), good.getValue());
    assertEquals(List.of(good.getKey()), MachineTokenKeys.fromDirectory(dir).ids());
  }
}
