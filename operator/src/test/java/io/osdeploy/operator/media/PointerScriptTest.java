package io.osdeploy.operator.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PointerScriptTest {
  private static final MediaInputs TWO_SERVERS =
      MediaInputs.of("lab", "usb-key", List.of("http://dp2:8080", "https://dp1.example/osd"));

  @Test
  void asksEachServerInOrderThenGivesUp() {
    String script = PointerScript.render(TWO_SERVERS);
    assertTrue(script.startsWith("#!ipxe\n"));
    List<String> chains = lines(script, "chain ");
    assertEquals(
        List.of(
            "chain --replace http://dp2:8080/v1/boot.ipxe?mac=${netX/mac}&uuid=${uuid}"
                + "&source=media&media=lab/usb-key || goto server-1",
            "chain --replace https://dp1.example/osd/v1/boot.ipxe?mac=${netX/mac}&uuid=${uuid}"
                + "&source=media&media=lab/usb-key || goto no-server"),
        chains);
    assertTrue(script.contains("\n:server-1\n"));
    assertTrue(script.indexOf(":no-server\n") > script.lastIndexOf("chain "));
    assertTrue(script.contains("dhcp || dhcp || dhcp || goto no-network\n"));
    assertTrue(script.endsWith("exit\n"), "goes back to the firmware (local disk) at the end");
  }

  @Test
  void namesThePinnedDeployment() {
    String script = PointerScript.render(TWO_SERVERS.withDeployment("win11-refresh"));
    for (String chain : lines(script, "chain ")) {
      assertTrue(chain.contains("&media=lab/usb-key&deployment=win11-refresh "), chain);
    }
    assertFalse(PointerScript.render(TWO_SERVERS).contains("deployment="));
  }

  @Test
  void asksForThePasswordOnlyWhenTheMediaHasOne() {
    String open = PointerScript.render(TWO_SERVERS);
    assertFalse(open.contains("login"));
    assertFalse(open.contains("password"));

    String locked = PointerScript.render(TWO_SERVERS.withPasswordHash(MediaInputsTest.HASH_A));
    assertTrue(locked.contains("\nset username osdeploy\nlogin || goto cancelled\n"), locked);
    assertTrue(locked.indexOf("login") < locked.indexOf("chain "), "asks before the first server");
    for (String chain : lines(locked, "chain ")) {
      assertTrue(
          chain.startsWith("chain --replace http://osdeploy:${password:uristring}@dp2:8080/")
              || chain.startsWith(
                  "chain --replace https://osdeploy:${password:uristring}@dp1.example/"),
          chain);
      assertFalse(chain.contains("password="), "the password never goes into the query");
    }
    assertFalse(locked.contains(MediaInputsTest.HASH_A), "the hash stays off the media");
  }

  @Test
  void recordsTheCaFingerprintAsAComment() {
    String script =
        PointerScript.render(
            MediaInputs.of("lab", "usb-key", List.of("https://dp1.example/osd"))
                .withCaFingerprint(MediaInputsTest.CA));
    assertTrue(script.contains("# CA fingerprint (SHA-256) " + MediaInputsTest.CA + ":"));
  }

  @Test
  void everyLineIsACommandLabelOrComment() {
    MediaInputs all =
        new MediaInputs(
            "lab",
            "usb-key.v2",
            List.of("https://[fd00::1]:8443", "https://dp1/a/b"),
            "win11",
            MediaInputsTest.HASH_A,
            MediaInputsTest.CA);
    for (String line : PointerScript.render(all).split("\n")) {
      assertTrue(line.matches("(#|:[a-z0-9-]+$|[a-z]+( |$)).*"), "unexpected script line: " + line);
      assertFalse(line.contains("${password") && !line.startsWith("chain "), line);
    }
  }

  private static List<String> lines(String script, String prefix) {
    return script.lines().filter(l -> l.startsWith(prefix)).toList();
  }
}
