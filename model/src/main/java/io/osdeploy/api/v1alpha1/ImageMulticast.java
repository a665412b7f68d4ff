package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

/** Per-image multicast settings. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value =
        "!(has(self.multicastOnly) && self.multicastOnly) || (has(self.allowed) && self.allowed)",
    message = "multicastOnly requires allowed: true",
    fieldPath = ".multicastOnly")
public class ImageMulticast {
  @JsonPropertyDescription(
      "Allow distribution points to send this image by multicast. Default true.")
  private Boolean allowed;

  @JsonPropertyDescription(
      "Encrypt the image's multicast traffic with a per-session key (AES-256-GCM). Default true;"
          + " false sends the image readable by every host on the LAN.")
  private Boolean encrypt;

  @JsonPropertyDescription("Never deliver this image by unicast; requires allowed.")
  private Boolean multicastOnly;

  public Boolean getAllowed() {
    return allowed;
  }

  public void setAllowed(Boolean allowed) {
    this.allowed = allowed;
  }

  public Boolean getEncrypt() {
    return encrypt;
  }

  public void setEncrypt(Boolean encrypt) {
    this.encrypt = encrypt;
  }

  /** Multicast is allowed unless switched off. */
  public static boolean allowed(ImageMulticast m) {
    return m == null || !Boolean.FALSE.equals(m.getAllowed());
  }

  /** Encrypted unless the image says {@code encrypt: false}. */
  public static boolean encrypt(ImageMulticast m) {
    return m == null || !Boolean.FALSE.equals(m.getEncrypt());
  }

  public static boolean multicastOnly(ImageMulticast m) {
    return m != null && Boolean.TRUE.equals(m.getMulticastOnly());
  }

  public Boolean getMulticastOnly() {
    return multicastOnly;
  }

  public void setMulticastOnly(Boolean multicastOnly) {
    this.multicastOnly = multicastOnly;
  }
}
