package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "has(self.deployment) || (has(self.bootServers) && size(self.bootServers) > 0)",
    message = "bootServers is required when no deployment is set (media for any deployment)",
    fieldPath = ".bootServers")
@SchemaCustomizer(
    value = Describe.class,
    input =
        "self.bootServers[]: Base URL of a boot server (the daemon on a distribution point"
            + " node), http:// or https://, e.g. http://dp-berlin.example.com:9080.")
public class BootableMediaSpec {
  @Required
  @JsonPropertyDescription(
      "Usb or Iso; both produce a hybrid image that boots from CD/DVD and USB.")
  private MediaType type;

  @Pattern(Patterns.OBJECT_NAME)
  @Size(max = 253)
  @JsonPropertyDescription(
      "TaskSequenceDeployment (same namespace) this media pins; unset offers any available one.")
  private String deployment;

  @Size(max = 16)
  @JsonPropertyDescription(
      "Boot server URLs in order of preference; default the deployment's distribution points.")
  private List<@Pattern(Patterns.HTTP_URL) @Size(max = 2048) String> bootServers;

  @JsonPropertyDescription("Secret key holding the password asked for before the media boots on.")
  private SecretKeyRef passwordSecretRef;

  @Pattern(Patterns.CA_FINGERPRINT)
  @JsonPropertyDescription(
      "SHA-256 fingerprint of the CA that boot servers' certificates chain to.")
  private String caFingerprint;

  public MediaType getType() {
    return type;
  }

  public void setType(MediaType type) {
    this.type = type;
  }

  public String getDeployment() {
    return deployment;
  }

  public void setDeployment(String deployment) {
    this.deployment = deployment;
  }

  public List<String> getBootServers() {
    return bootServers;
  }

  public void setBootServers(List<String> bootServers) {
    this.bootServers = bootServers;
  }

  public SecretKeyRef getPasswordSecretRef() {
    return passwordSecretRef;
  }

  public void setPasswordSecretRef(SecretKeyRef passwordSecretRef) {
    this.passwordSecretRef = passwordSecretRef;
  }

  public String getCaFingerprint() {
    return caFingerprint;
  }

  public void setCaFingerprint(String caFingerprint) {
    this.caFingerprint = caFingerprint;
  }

  public enum MediaType {
    Usb,
    Iso
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class SecretKeyRef {
    @Required
    @Pattern(Patterns.OBJECT_NAME)
    @Size(max = 253)
    @JsonPropertyDescription(
        "Name of the Secret (same namespace); the operator sees only Secrets labelled"
            + " osdeploy.io/secret: \"true\".")
    private String name;

    @Size(max = 253)
    @JsonPropertyDescription("Key in the Secret; default \"password\".")
    private String key;

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public String getKey() {
      return key;
    }

    public void setKey(String key) {
      this.key = key;
    }
  }
}
