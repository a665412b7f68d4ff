package io.osdeploy.daemon.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * A test that needs something the machine may lack skips with the reason on a laptop, and fails
 * under CI ({@code CI=true}), where the test command installs everything. The same rule as the
 * operator's {@code testing.Prerequisites}.
 */
public final class Prerequisites {
  private Prerequisites() {}

  public static void require(boolean present, String what) {
    if (present) {
      return;
    }
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new AssertionError("missing prerequisite under CI: " + what);
    }
    Assumptions.abort("skipped, missing prerequisite: " + what);
  }

  public static boolean onPath(String command) {
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }

  public static boolean root() {
    try {
      Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      return p.waitFor() == 0 && out.equals("0");
    } catch (Exception e) {
      return false;
    }
  }
}
