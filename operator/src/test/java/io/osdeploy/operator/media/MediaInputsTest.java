package io.osdeploy.operator.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.auth.MediaPassword;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MediaInputsTest {
  static final String HASH_A = MediaPassword.format(600_000, new byte[16], new byte[32]);
  static final String HASH_B = MediaPassword.format(600_000, new byte[16], filled(32, 1));
  static final String CA = "ab".repeat(32);

  static MediaInputs full() {
    return new MediaInputs(
        "lab",
        "usb-key",
        List.of("https://dp1.lab.example:8443", "https://10.0.0.2/osdeploy"),
        "win11-refresh",
        HASH_A,
        CA);
  }

  @Test
  void sameInputsGiveTheSameDigest() {
    assertEquals(full().digest(), full().digest());
    assertEquals(64, full().digest().length());
  }

  @Test
  void everyInputChangesTheDigest() {
    MediaInputs base = full();
    List<MediaInputs> variants =
        List.of(
            new MediaInputs("lab2", "usb-key", base.bootServers(), "win11-refresh", HASH_A, CA),
            new MediaInputs("lab", "usb-key2", base.bootServers(), "win11-refresh", HASH_A, CA),
            base.withDeployment("win11-new"),
            base.withDeployment(null),
            base.withPasswordHash(HASH_B),
            base.withPasswordHash(null),
            base.withCaFingerprint("cd".repeat(32)),
            base.withCaFingerprint(null),
            new MediaInputs(
                "lab",
                "usb-key",
                List.of("https://10.0.0.2/osdeploy", "https://dp1.lab.example:8443"),
                "win11-refresh",
                HASH_A,
                CA),
            new MediaInputs(
                "lab",
                "usb-key",
                List.of("https://dp1.lab.example:8443"),
                "win11-refresh",
                HASH_A,
                CA));
    Set<String> digests =
        Stream.concat(Stream.of(base), variants.stream())
            .map(MediaInputs::digest)
            .collect(Collectors.toSet());
    assertEquals(variants.size() + 1, digests.size(), "each change gives its own digest");
  }

  @Test
  void aNamespaceNameSplitDoesNotCollide() {
    MediaInputs a = MediaInputs.of("ab", "c", List.of("http://dp"));
    MediaInputs b = MediaInputs.of("a", "bc", List.of("http://dp"));
    assertNotEquals(a.digest(), b.digest());
  }

  @Test
  void equivalentSpellingsNormalize() {
    MediaInputs colons = full().withCaFingerprint(CA.toUpperCase().replaceAll("(..)(?!$)", "$1:"));
    assertEquals(full(), colons);
    assertEquals(full().digest(), colons.digest());
    MediaInputs slash = MediaInputs.of("lab", "usb", List.of("http://dp1/"));
    assertEquals(List.of("http://dp1"), slash.bootServers());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ftp://dp1",
        "http://dp1/boot?x=1",
        "http://dp1/#frag",
        "http://user:pw@dp1",
        "http://dp1/ shell",
        "http://dp1/${password}",
        "http://dp1/\nshell",
        "http://dp1/a&&shell",
        "http://dp1/a||shell",
        "http://dp1:80x",
        "http://",
        "dp1:8080"
      })
  void rejectsBootServersThatAreNotPlainUrls(String server) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> MediaInputs.of("lab", "usb", List.of("http://ok", server)));
    assertTrue(e.getMessage().startsWith("spec.bootServers[1]: "), e.getMessage());
    assertTrue(!e.getMessage().contains("\n"), "message stays on one line: " + e.getMessage());
  }

  @Test
  void acceptsIpv6AndPorts() {
    MediaInputs m =
        MediaInputs.of("lab", "usb", List.of("https://[fd00::1]:8443/osdeploy", "http://10.1.2.3"));
    assertEquals("https://[fd00::1]:8443/osdeploy", m.bootServers().get(0));
  }

  @Test
  void rejectsMissingDuplicateAndTooManyBootServers() {
    assertMessage("spec.bootServers: at least one", () -> MediaInputs.of("lab", "usb", List.of()));
    assertMessage(
        "spec.bootServers[1]: duplicate of spec.bootServers[0]",
        () -> MediaInputs.of("lab", "usb", List.of("http://dp1/", "http://dp1")));
    List<String> many = Stream.iterate(0, i -> i + 1).limit(17).map(i -> "http://dp" + i).toList();
    assertMessage("spec.bootServers: at most 16", () -> MediaInputs.of("lab", "usb", many));
  }

  @Test
  void rejectsHostileNamesNamingTheField() {
    List<String> servers = List.of("http://dp1");
    assertMessage("metadata.namespace:", () -> MediaInputs.of("lab ns", "usb", servers));
    assertMessage("metadata.name:", () -> MediaInputs.of("lab", "usb&shell", servers));
    assertMessage("metadata.name:", () -> MediaInputs.of("lab", "USB", servers));
    assertMessage("metadata.name:", () -> MediaInputs.of("lab", null, servers));
    assertMessage(
        "spec.deployment:", () -> MediaInputs.of("lab", "usb", servers).withDeployment("x\nshell"));
    assertMessage(
        "spec.deployment:",
        () -> MediaInputs.of("lab", "usb", servers).withDeployment("${password}"));
    assertMessage(
        "spec.caFingerprint:",
        () -> MediaInputs.of("lab", "usb", servers).withCaFingerprint("abc"));
    assertMessage(
        "passwordHash:", () -> MediaInputs.of("lab", "usb", servers).withPasswordHash("secret"));
  }

  @Test
  void mediaPinningACaTakeHttpsBootServersOnly() {
    List<String> mixed = List.of("https://dp1:8443", "http://dp2:8080");
    assertMessage(
        "bootServers[1]: must be https://",
        () -> MediaInputs.of("lab", "usb", mixed).withCaFingerprint(CA));
    assertEquals(
        CA,
        MediaInputs.of("lab", "usb", mixed.subList(0, 1)).withCaFingerprint(CA).caFingerprint());
  }

  private static void assertMessage(String prefix, org.junit.jupiter.api.function.Executable e) {
    IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class, e);
    assertTrue(thrown.getMessage().startsWith(prefix), thrown.getMessage());
  }

  private static byte[] filled(int length, int value) {
    byte[] b = new byte[length];
    java.util.Arrays.fill(b, (byte) value);
    return b;
  }
}
