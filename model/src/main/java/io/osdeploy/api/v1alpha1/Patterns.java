package io.osdeploy.api.v1alpha1;

/** Regular expressions the schema applies to fields. */
public final class Patterns {
  public static final String SHA256 = "^[0-9a-fA-F]{64}$";

  /** A certificate's SHA-256 fingerprint: 64 hex digits, or 32 pairs separated by colons. */
  public static final String CA_FINGERPRINT =
      "^([0-9a-fA-F]{64}|([0-9a-fA-F]{2}:){31}[0-9a-fA-F]{2})$";

  public static final String HTTP_URL = "^https?://[^\\s/?#]+[^\\s]*$";
  public static final String MAC = "^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$";
  public static final String UUID =
      "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$";
  private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";

  /** An IPv4 address in 224.0.0.0/4. */
  public static final String MULTICAST_IPV4 =
      "^(22[4-9]|23[0-9])\\." + OCTET + "\\." + OCTET + "\\." + OCTET + "$";

  /** An RFC 1123 DNS label, as Kubernetes object names in one namespace use. */
  public static final String OBJECT_NAME = "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$";

  /** RFC 3339 date-time, as Kubernetes timestamps use. */
  public static final String DATE_TIME =
      "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$";

  private Patterns() {}
}
