package io.osdeploy.operator.media;

import io.osdeploy.api.v1alpha1.Patterns;
import io.osdeploy.auth.MediaPassword;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Everything a boot media is built from, and nothing else: content such as OS images never enters
 * it, so the media stays valid while deployments and their content change.
 *
 * <p>Every value ends up in an iPXE script, so the constructor accepts only values that are safe
 * there as they are: Kubernetes names, and boot server URLs made of host, port and path only. An
 * invalid value throws {@link IllegalArgumentException} naming the field.
 *
 * @param namespace the BootableMedia's namespace
 * @param name the BootableMedia's name
 * @param bootServers boot server base URLs (http or https), in the order the media tries them
 * @param deployment the TaskSequenceDeployment the media pins, or null for any available one
 * @param passwordHash a {@link MediaPassword} hash of the password asked for at boot, or null
 * @param caFingerprint SHA-256 of the CA the boot servers chain to, 64 hex digits, or null
 */
public record MediaInputs(
    String namespace,
    String name,
    List<String> bootServers,
    String deployment,
    String passwordHash,
    String caFingerprint) {

  static final int MAX_BOOT_SERVERS = 16;
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern OBJECT_NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
  private static final Pattern FINGERPRINT = Pattern.compile(Patterns.CA_FINGERPRINT);

  /**
   * Scheme, host (DNS name, IPv4 or bracketed IPv6), optional port, optional path of unreserved
   * characters. No user info, query or fragment: the script appends its own, and characters such as
   * {@code $ # & space} would change what iPXE runs.
   */
  private static final Pattern BOOT_SERVER =
      Pattern.compile(
          "(http|https)://([A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?|\\[[0-9A-Fa-f:.]+\\])"
              + "(:[0-9]{1,5})?(/[-A-Za-z0-9._~/]*)?");

  public MediaInputs {
    requireMatch("metadata.namespace", namespace, DNS_LABEL, 63);
    requireMatch("metadata.name", name, OBJECT_NAME, 253);
    bootServers = normalizeBootServers(bootServers);
    if (deployment != null) {
      requireMatch("spec.deployment", deployment, OBJECT_NAME, 253);
    }
    if (passwordHash != null && !MediaPassword.isHash(passwordHash)) {
      throw new IllegalArgumentException(
          "passwordHash: not a MediaPassword hash (expected "
              + MediaPassword.FORMAT_DESCRIPTION
              + ")");
    }
    if (caFingerprint != null) {
      if (!FINGERPRINT.matcher(caFingerprint).matches()) {
        throw new IllegalArgumentException(
            "spec.caFingerprint: must be a SHA-256 fingerprint, 64 hex digits (colons allowed)");
      }
      caFingerprint = caFingerprint.replace(":", "").toLowerCase(Locale.ROOT);
      for (int i = 0; i < bootServers.size(); i++) {
        if (!bootServers.get(i).startsWith("https://")) {
          throw new IllegalArgumentException(
              "bootServers[" + i + "]: must be https:// on media pinning a CA");
        }
      }
    }
  }

  /** Media for any available deployment, without password or CA pin. */
  public static MediaInputs of(String namespace, String name, List<String> bootServers) {
    return new MediaInputs(namespace, name, bootServers, null, null, null);
  }

  public MediaInputs withDeployment(String value) {
    return new MediaInputs(namespace, name, bootServers, value, passwordHash, caFingerprint);
  }

  public MediaInputs withPasswordHash(String value) {
    return new MediaInputs(namespace, name, bootServers, deployment, value, caFingerprint);
  }

  public MediaInputs withCaFingerprint(String value) {
    return new MediaInputs(namespace, name, bootServers, deployment, passwordHash, value);
  }

  /** {@code namespace/name}, as the media names itself to the boot servers. */
  public String mediaId() {
    return namespace + "/" + name;
  }

  public boolean asksForPassword() {
    return passwordHash != null;
  }

  /**
   * SHA-256 (hex) of a canonical serialization of exactly these inputs: {@code
   * status.artifact.inputsDigest}. Equal inputs give equal digests; any change gives another.
   */
  public String digest() {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(canonical().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /**
   * One {@code key=value} line per input, in a fixed order, absent values omitted. Validated values
   * never hold a line break, so the lines cannot run into each other.
   */
  String canonical() {
    StringBuilder s = new StringBuilder("osdeploy-media-inputs/v1\n");
    s.append("namespace=").append(namespace).append('\n');
    s.append("name=").append(name).append('\n');
    for (String server : bootServers) {
      s.append("bootServer=").append(server).append('\n');
    }
    if (deployment != null) {
      s.append("deployment=").append(deployment).append('\n');
    }
    if (passwordHash != null) {
      s.append("passwordHash=").append(passwordHash).append('\n');
    }
    if (caFingerprint != null) {
      s.append("caFingerprint=").append(caFingerprint).append('\n');
    }
    return s.toString();
  }

  private static List<String> normalizeBootServers(List<String> servers) {
    if (servers == null || servers.isEmpty()) {
      throw new IllegalArgumentException("spec.bootServers: at least one boot server is required");
    }
    if (servers.size() > MAX_BOOT_SERVERS) {
      throw new IllegalArgumentException(
          "spec.bootServers: at most "
              + MAX_BOOT_SERVERS
              + " boot servers (got "
              + servers.size()
              + ")");
    }
    List<String> normalized =
        servers.stream()
            .map(s -> s == null ? null : s.endsWith("/") ? s.substring(0, s.length() - 1) : s)
            .toList();
    for (int i = 0; i < normalized.size(); i++) {
      String field = "spec.bootServers[" + i + "]";
      String server = normalized.get(i);
      if (server == null || !BOOT_SERVER.matcher(server).matches() || server.length() > 2048) {
        throw new IllegalArgumentException(
            field
                + ": must be an http:// or https:// URL of host, optional port and path, without"
                + " user info, query, fragment, spaces or '$' (got "
                + printable(servers.get(i))
                + ")");
      }
      int first = normalized.indexOf(server);
      if (first != i) {
        throw new IllegalArgumentException(
            field + ": duplicate of spec.bootServers[" + first + "] (" + server + ")");
      }
    }
    return normalized;
  }

  private static void requireMatch(String field, String value, Pattern pattern, int maxLength) {
    if (value == null) {
      throw new IllegalArgumentException(field + ": is required");
    }
    if (value.length() > maxLength || !pattern.matcher(value).matches()) {
      throw new IllegalArgumentException(
          field
              + ": must be a Kubernetes name (lower-case letters, digits, '-' and '.'), at most "
              + maxLength
              + " characters (got "
              + printable(value)
              + ")");
    }
  }

  /** The value quoted with control characters made visible, so an error message stays one line. */
  private static String printable(String value) {
    if (value == null) {
      return "null";
    }
    StringBuilder s = new StringBuilder("\"");
    value
        .codePoints()
        .limit(200)
        .forEach(
            c -> {
              if (c < 0x20 || c == 0x7f) {
                s.append(String.format("\\x%02x", c));
              } else {
                s.appendCodePoint(c);
              }
            });
    return s.append(value.length() > 200 ? "...\"" : "\"").toString();
  }
}
