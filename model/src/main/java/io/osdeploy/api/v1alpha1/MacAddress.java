package io.osdeploy.api.v1alpha1;

import java.util.Locale;

/**
 * How osdeploy compares MAC addresses: in lower case with colons, whatever the spelling (the schema
 * takes either, see {@link Patterns#MAC}), so {@code 52-54-00-AB-CD-EF} in a deployment's target
 * and {@code 52:54:00:ab:cd:ef} from a booting machine are the same machine.
 */
public final class MacAddress {
  private static final String CANONICAL = "^[0-9a-f]{2}(:[0-9a-f]{2}){5}$";

  private MacAddress() {}

  /** {@code mac} in lower case with colons, or null for null. Does not check that it is a MAC. */
  public static String normalize(String mac) {
    return mac == null ? null : mac.toLowerCase(Locale.ROOT).replace('-', ':');
  }

  /**
   * As {@link #normalize}, for a MAC given as {@code field} (a request field, a command-line flag)
   * that may be anything: null or blank is null, and what is not a MAC address is an {@link
   * IllegalArgumentException} that names the field.
   */
  public static String parse(String mac, String field) {
    if (mac == null || mac.isBlank()) {
      return null;
    }
    String m = normalize(mac);
    if (!m.matches(CANONICAL)) {
      throw new IllegalArgumentException(field + ": not a MAC address: " + mac);
    }
    return m;
  }
}
