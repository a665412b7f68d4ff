package io.osdeploy.operator;

import java.nio.file.Path;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Operator configuration from the environment (set in the operator's Deployment): what the
 * distribution points' DaemonSets run, where boot media are kept and served, and which namespaces
 * the operator watches.
 *
 * @param mediaDirectory where built media are kept (a persistent volume in a cluster)
 * @param mediaPort the port the operator serves media on
 * @param mediaUrl the base URL machines and people download media from; null derives it from the
 *     host name and port
 * @param watchNamespaces the namespaces the operator watches (OSDEPLOY_WATCH_NAMESPACES,
 *     comma-separated); empty for every namespace
 */
public record OperatorSettings(
    String daemonImage,
    String daemonImagePullPolicy,
    Path mediaDirectory,
    int mediaPort,
    String mediaUrl,
    Set<String> watchNamespaces) {
  public static final String DEFAULT_DAEMON_IMAGE = "osdeploy/daemon:0.1.0-SNAPSHOT";
  public static final int DEFAULT_MEDIA_PORT = 8088;

  public static OperatorSettings fromEnvironment() {
    return new OperatorSettings(
        env("OSDEPLOY_DAEMON_IMAGE", DEFAULT_DAEMON_IMAGE),
        env("OSDEPLOY_DAEMON_IMAGE_PULL_POLICY", "IfNotPresent"),
        Path.of(env("OSDEPLOY_MEDIA_DIR", "/var/lib/osdeploy/media")),
        Integer.parseInt(env("OSDEPLOY_MEDIA_PORT", Integer.toString(DEFAULT_MEDIA_PORT))),
        env("OSDEPLOY_MEDIA_URL", null),
        namespaces(WATCH_NAMESPACES, env(WATCH_NAMESPACES, "")));
  }

  public static final String WATCH_NAMESPACES = "OSDEPLOY_WATCH_NAMESPACES";

  private static final Pattern NAMESPACE = Pattern.compile("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$");

  /**
   * The namespaces in {@code value}, a comma-separated list (blanks around names are ignored);
   * empty for an empty list, which means every namespace. A name that cannot be a namespace is an
   * error naming {@code variable}.
   */
  public static Set<String> namespaces(String variable, String value) {
    Set<String> names = new TreeSet<>();
    for (String part : value.split(",", -1)) {
      String name = part.trim();
      if (name.isEmpty()) {
        continue;
      }
      if (!NAMESPACE.matcher(name).matches()) {
        throw new IllegalArgumentException(
            variable
                + ": \""
                + name
                + "\" is not a namespace name (lower-case letters, digits and '-', at most 63)");
      }
      names.add(name);
    }
    return Collections.unmodifiableSet(names);
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
