package io.osdeploy.transfer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FlagsTest {
  private static final Set<String> VALUED = Set.of("--server", "--out", "--timeout");
  private static final Set<String> SWITCHES = Set.of("--quiet");

  private static Flags parse(String... args) {
    return Flags.parse(List.of(args), VALUED, SWITCHES);
  }

  private static String error(Runnable parse) {
    return assertThrows(IllegalArgumentException.class, parse::run).getMessage();
  }

  @Test
  void readsValuesInBothSpellingsAndSwitches() {
    Flags flags = parse("--server", "http://dp:9080", "--out=/dev/sda", "--quiet");
    assertEquals("http://dp:9080", flags.get("--server"));
    assertEquals(Path.of("/dev/sda"), flags.path("--out"));
    assertTrue(flags.has("--quiet"));
    assertTrue(flags.has("--out"));
    assertFalse(flags.has("--timeout"));
    assertNull(flags.get("--timeout"));
    assertNull(flags.path("--timeout"));
    assertEquals("60", flags.get("--timeout", "60"));
    assertEquals(60, flags.seconds("--timeout", 60));
  }

  @Test
  void aValueMayContainEqualsSignsAndLookLikeAFlag() {
    Flags flags = parse("--server=http://dp/?a=b", "--out", "--quiet");
    assertEquals("http://dp/?a=b", flags.get("--server"));
    assertEquals("--quiet", flags.get("--out"));
    assertFalse(flags.has("--quiet"));
  }

  @Test
  void aFlagGivenAgainOverridesTheValueBefore() {
    assertEquals("b", parse("--server", "a", "--server=b").get("--server"));
  }

  @Test
  void eachErrorNamesTheFlag() {
    assertEquals("unknown option: --colour=red", error(() -> parse("--colour=red")));
    assertEquals("unknown option: --quiet=yes", error(() -> parse("--quiet=yes")));
    assertEquals("--out: needs a value", error(() -> parse("--server=a", "--out")));
    assertEquals("--server: required", error(() -> parse("--quiet").required("--server")));
    assertEquals(
        "--timeout: a number of seconds (got -1)",
        error(() -> parse("--timeout", "-1").seconds("--timeout", 0)));
    assertEquals(
        "--timeout: a number of seconds (got 1m)",
        error(() -> parse("--timeout=1m").seconds("--timeout", 0)));
  }

  @Test
  void strictRefusesRepeatedAndEmptyValues() {
    assertEquals("a", parse("--server=a", "--quiet").strict().get("--server"));
    assertEquals("--server: given twice", error(() -> parse("--server=a", "--server=b").strict()));
    assertEquals("--out: needs a value", error(() -> parse("--out=").strict()));
  }
}
