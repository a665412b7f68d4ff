package io.osdeploy.api.v1alpha1;

import io.osdeploy.text.LogText;
import java.util.Locale;

/**
 * How osdeploy compares SMBIOS UUIDs: lower case, in the 8-4-4-4-12 form the schema takes (see
 * {@link Patterns#UUID}). Firmware and tools spell the same UUID with or without dashes, in braces
 * and in either case; all of those are the same machine.
 */
public final class SmbiosUuid {
  private static final String HEX32 = "^[0-9a-f]{32}$";
  private static final String DASHED =
      "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

  private SmbiosUuid() {}

  /**
   * {@code uuid}, given as {@code field} (a request field), in the compared form: null or blank is
   * null, and what is not 32 hexadecimal digits (once braces and dashes are dropped, with dashes
   * where the schema puts them) is an {@link IllegalArgumentException} that names the field.
   */
  public static String parse(String uuid, String field) {
    if (uuid == null || uuid.isBlank()) {
      return null;
    }
    String u = uuid.strip().toLowerCase(Locale.ROOT);
    if (u.startsWith("{") && u.endsWith("}")) {
      u = u.substring(1, u.length() - 1);
    }
    if (!u.matches(HEX32) && !u.matches(DASHED)) {
      throw new IllegalArgumentException(field + ": not an SMBIOS UUID: " + LogText.of(uuid, 64));
    }
    String hex = u.replace("-", "");
    return hex.substring(0, 8)
        + "-"
        + hex.substring(8, 12)
        + "-"
        + hex.substring(12, 16)
        + "-"
        + hex.substring(16, 20)
        + "-"
        + hex.substring(20);
  }
}
