package io.osdeploy.operator.testing;

import org.junit.jupiter.api.Assumptions;

/**
 * A test that needs something the machine may lack skips with the reason on a laptop, and fails
 * under CI ({@code CI=true}), where the test command installs everything.
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
}
