package io.osdeploy.daemon.pxe;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * A test that needs something the machine may lack skips with the reason on a laptop, and fails
 * under CI ({@code CI=true}), where the test command installs everything. The same rule as the
 * operator's {@code testing.Prerequisites}.
 */
final class PxePrerequisites {
  private PxePrerequisites() {}

  static void require(boolean present, String what) {
    if (present) {
      return;
    }
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new AssertionError("missing prerequisite under CI: " + what);
    }
    Assumptions.abort("skipped, missing prerequisite: " + what);
  }

  static boolean onPath(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return Files.isExecutable(Path.of("/usr/sbin", program));
  }

  static boolean root() {
    try {
      Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      return new String(id.getInputStream().readAllBytes()).trim().equals("0");
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
