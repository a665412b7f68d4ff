package io.osdeploy.daemon.policy;

import io.osdeploy.api.v1alpha1.MacAddress;
import io.osdeploy.api.v1alpha1.SmbiosUuid;
import java.util.Locale;
import java.util.Objects;

/**
 * Who asks for policy, and from where: a machine (MAC and/or SMBIOS UUID) booting from media or
 * PXE, or running the agent as a client; optionally naming a deployment (pinned by the media, or
 * carried by the PXE request).
 */
public record PolicyRequest(String mac, String uuid, Source source, String deployment) {
  /** Where the request comes from. */
  public enum Source {
    CLIENT,
    MEDIA,
    PXE;

    public static Source parse(String value) {
      return switch (value == null ? "" : value.toLowerCase(Locale.ROOT)) {
        case "client" -> CLIENT;
        case "media" -> MEDIA;
        case "pxe" -> PXE;
        default ->
            throw new IllegalArgumentException(
                "source: must be client, media or pxe (got " + value + ")");
      };
    }
  }

  public PolicyRequest {
    Objects.requireNonNull(source, "source");
    mac = MacAddress.parse(mac, "mac");
    uuid = SmbiosUuid.parse(uuid, "uuid");
    deployment = deployment == null || deployment.isBlank() ? null : deployment;
    if (deployment != null && !deployment.matches("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")) {
      throw new IllegalArgumentException("deployment: not a deployment name: " + deployment);
    }
    if (mac == null && uuid == null) {
      throw new IllegalArgumentException("mac or uuid: at least one is required");
    }
  }
}
