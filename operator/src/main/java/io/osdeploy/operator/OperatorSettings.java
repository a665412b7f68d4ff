package io.osdeploy.operator;

/**
 * Operator configuration from the environment (set in the operator's Deployment): what the
 * distribution points' DaemonSets run.
 */
public record OperatorSettings(String daemonImage, String daemonImagePullPolicy) {
  public static final String DEFAULT_DAEMON_IMAGE = "ghcr.io/osdeploy/multicast-daemon:0.1.0";

  public static OperatorSettings fromEnvironment() {
    return new OperatorSettings(
        env("OSDEPLOY_DAEMON_IMAGE", DEFAULT_DAEMON_IMAGE),
        env("OSDEPLOY_DAEMON_IMAGE_PULL_POLICY", "IfNotPresent"));
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }

  private static final OperatorSettings CURRENT = fromEnvironment();

  /** The settings dependents read: JOSDK creates them from annotations, without arguments. */
  public static OperatorSettings current() {
    return CURRENT;
  }
}
