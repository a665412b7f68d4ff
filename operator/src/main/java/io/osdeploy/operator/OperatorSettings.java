package io.osdeploy.operator;

import java.nio.file.Path;

/**
 * Operator configuration from the environment (set in the operator's Deployment): what the
 * distribution points' DaemonSets run, and where boot media are kept and served.
 *
 * @param mediaDirectory where built media are kept (a persistent volume in a cluster)
 * @param mediaPort the port the operator serves media on
 * @param mediaUrl the base URL machines and people download media from; null derives it from the
 *     host name and port
 */
public record OperatorSettings(
    String daemonImage,
    String daemonImagePullPolicy,
    Path mediaDirectory,
    int mediaPort,
    String mediaUrl) {
  public static final String DEFAULT_DAEMON_IMAGE = "ghcr.io/osdeploy/multicast-daemon:0.1.0";
  public static final int DEFAULT_MEDIA_PORT = 8088;

  public static OperatorSettings fromEnvironment() {
    return new OperatorSettings(
        env("OSDEPLOY_DAEMON_IMAGE", DEFAULT_DAEMON_IMAGE),
        env("OSDEPLOY_DAEMON_IMAGE_PULL_POLICY", "IfNotPresent"),
        Path.of(env("OSDEPLOY_MEDIA_DIR", "/var/lib/osdeploy/media")),
        Integer.parseInt(env("OSDEPLOY_MEDIA_PORT", Integer.toString(DEFAULT_MEDIA_PORT))),
        env("OSDEPLOY_MEDIA_URL", null));
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
