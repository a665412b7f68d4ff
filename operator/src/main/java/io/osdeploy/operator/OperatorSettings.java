package io.osdeploy.operator;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
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
 * @param opsPort the port of the operator's probes and metrics (OSDEPLOY_OPS_PORT, default {@value
 *     #DEFAULT_OPS_PORT}), apart from media downloads
 * @param mediaUrl the base URL machines and people download media from; null derives it from the
 *     host name and port
 * @param watchNamespaces the namespaces the operator watches (OSDEPLOY_WATCH_NAMESPACES,
 *     comma-separated); empty for every namespace
 * @param contentPaths the host directories under which a DistributionPoint's {@code contentPath}
 *     may lie (OSDEPLOY_CONTENT_PATHS, comma-separated absolute paths; default {@value
 *     #DEFAULT_CONTENT_PATHS}): the daemon's init container hands that directory to the daemon's
 *     user as root, so whoever may write a DistributionPoint must not choose any directory
 * @param daemonLogging {@code OSDEPLOY_LOG_FORMAT} and {@code OSDEPLOY_LOG_LEVEL} as the operator
 *     has them: the daemons' pods get the same, so one setting chooses the logs of both
 * @param pagePort the port of the live page (OSDEPLOY_PAGE_PORT, default {@value
 *     #DEFAULT_PAGE_PORT}; 0 serves none)
 * @param pageHosts the host names, besides localhost and IP addresses, the live page answers to
 *     (OSDEPLOY_PAGE_HOSTS, comma-separated): the names of a Service or Ingress that exposes it
 */
public record OperatorSettings(
    String daemonImage,
    String daemonImagePullPolicy,
    Path mediaDirectory,
    int mediaPort,
    int opsPort,
    String mediaUrl,
    Set<String> watchNamespaces,
    List<Path> contentPaths,
    java.util.Map<String, String> daemonLogging,
    int pagePort,
    Set<String> pageHosts) {
  public OperatorSettings {
    daemonLogging = java.util.Map.copyOf(daemonLogging);
    pageHosts = Set.copyOf(pageHosts);
  }

  /** The variables that choose how the operator and the daemons log. */
  public static final List<String> LOGGING = List.of("OSDEPLOY_LOG_FORMAT", "OSDEPLOY_LOG_LEVEL");

  public static final String CONTENT_PATHS = "OSDEPLOY_CONTENT_PATHS";
  public static final String DEFAULT_CONTENT_PATHS = "/var/lib/osdeploy";
  public static final String DEFAULT_DAEMON_IMAGE = "osdeploy/daemon:0.1.0-SNAPSHOT";
  public static final int DEFAULT_MEDIA_PORT = 8088;
  public static final int DEFAULT_OPS_PORT = 8089;
  public static final int DEFAULT_PAGE_PORT = 8090;

  public static OperatorSettings fromEnvironment() {
    return new OperatorSettings(
        env("OSDEPLOY_DAEMON_IMAGE", DEFAULT_DAEMON_IMAGE),
        env("OSDEPLOY_DAEMON_IMAGE_PULL_POLICY", "IfNotPresent"),
        Path.of(env("OSDEPLOY_MEDIA_DIR", "/var/lib/osdeploy/media")),
        Integer.parseInt(env("OSDEPLOY_MEDIA_PORT", Integer.toString(DEFAULT_MEDIA_PORT))),
        Integer.parseInt(env("OSDEPLOY_OPS_PORT", Integer.toString(DEFAULT_OPS_PORT))),
        env("OSDEPLOY_MEDIA_URL", null),
        namespaces(WATCH_NAMESPACES, env(WATCH_NAMESPACES, "")),
        contentPaths(CONTENT_PATHS, env(CONTENT_PATHS, DEFAULT_CONTENT_PATHS)),
        logging(System.getenv()),
        Integer.parseInt(env("OSDEPLOY_PAGE_PORT", Integer.toString(DEFAULT_PAGE_PORT))),
        io.osdeploy.operator.page.LivePage.hosts(env("OSDEPLOY_PAGE_HOSTS", "")));
  }

  /** The logging variables set in {@code env}, in {@link #LOGGING}'s order. */
  public static java.util.Map<String, String> logging(java.util.Map<String, String> env) {
    java.util.Map<String, String> set = new java.util.TreeMap<>();
    for (String name : LOGGING) {
      String value = env.get(name);
      if (value != null && !value.isBlank()) {
        set.put(name, value.trim());
      }
    }
    return set;
  }

  /**
   * The directories in {@code value}, a comma-separated list of absolute, normalized paths; an
   * entry that is not one is an error naming {@code variable}.
   */
  public static List<Path> contentPaths(String variable, String value) {
    List<Path> paths = new ArrayList<>();
    for (String part : value.split(",", -1)) {
      String entry = part.trim();
      if (entry.isEmpty()) {
        continue;
      }
      Path path = Path.of(entry);
      if (!path.isAbsolute() || !path.normalize().toString().equals(entry)) {
        throw new IllegalArgumentException(
            variable
                + ": \""
                + entry
                + "\" is not an absolute path without . or .. or a trailing /");
      }
      paths.add(path);
    }
    if (paths.isEmpty()) {
      throw new IllegalArgumentException(variable + ": names no directory");
    }
    return List.copyOf(paths);
  }

  /**
   * Why {@code contentPath} may not be used, or empty when it lies in (or is) one of {@link
   * #contentPaths}.
   */
  public Optional<String> contentPathProblem(String contentPath) {
    Path path = Path.of(contentPath);
    if (!path.isAbsolute() || !path.normalize().toString().equals(contentPath)) {
      return Optional.of(
          "spec.contentPath: \"" + contentPath + "\" must be an absolute path without . or ..");
    }
    if (contentPaths.stream().anyMatch(path::startsWith)) {
      return Optional.empty();
    }
    return Optional.of(
        "spec.contentPath: "
            + contentPath
            + " is not under a directory this operator allows ("
            + String.join(", ", contentPaths.stream().map(Path::toString).toList())
            + "; the operator's "
            + CONTENT_PATHS
            + " sets them)");
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
