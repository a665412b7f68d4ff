package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

@JsonInclude(JsonInclude.Include.NON_NULL)
@SchemaCustomizer(
    value = Describe.class,
    input = "self.nodeSelector{}: Value the node's label must have.")
@SchemaCustomizer(
    value = Describe.class,
    input =
        "self.tolerations[]: A Kubernetes toleration: the daemon's pods may run on nodes with"
            + " a taint it matches.")
@SchemaCustomizer(
    value = Describe.class,
    input =
        "self.tolerations[].key: Taint key to match; empty, with operator Exists, matches"
            + " every taint.")
@SchemaCustomizer(
    value = Describe.class,
    input =
        "self.tolerations[].operator: Exists (any value of the key) or Equal (the value"
            + " given); default Equal.")
@SchemaCustomizer(
    value = Describe.class,
    input =
        "self.tolerations[].value: Taint value to match with operator Equal; empty with"
            + " Exists.")
@SchemaCustomizer(
    value = Describe.class,
    input =
        "self.tolerations[].effect: Taint effect to match: NoSchedule, PreferNoSchedule or"
            + " NoExecute; empty matches every effect.")
@SchemaCustomizer(
    value = Describe.class,
    input =
        "self.tolerations[].tolerationSeconds: With effect NoExecute: how many seconds the"
            + " pod stays on a node after the taint is added; unset, it stays for ever.")
public class DistributionPointSpec {
  @JsonPropertyDescription("Labels a node must carry to serve this distribution point.")
  private Map<String, String> nodeSelector;

  @JsonPropertyDescription("Tolerations of the daemon's pods, for tainted site nodes.")
  private List<Toleration> tolerations;

  @Pattern("^/.*$")
  @Size(max = 1024)
  @JsonPropertyDescription(
      "Absolute path of the content library on each node. Default /var/lib/osdeploy/content.")
  private String contentPath;

  @JsonPropertyDescription("Which OS images this distribution point holds.")
  private ImageSelection osImages;

  @JsonPropertyDescription("Multicast settings.")
  private DistributionPointMulticast multicast;

  @JsonPropertyDescription(
      "Whether a machine that multicast left incomplete (a session that ended, a late or slow"
          + " machine) may finish by unicast (HTTP). false: an image that comes by multicast comes"
          + " only so, and a machine that multicast cannot complete fails with the reason. Where"
          + " multicast is not the route (disabled here, not allowed for the image, a Unicast"
          + " deployment), images come by unicast either way. Default true.")
  private Boolean unicastFallback;

  @JsonPropertyDescription("PXE boot service on the distribution point's nodes.")
  private Pxe pxe;

  @JsonPropertyDescription(
      "A boot environment of your own for machines that start from media or PXE (a kernel and"
          + " initrd that run the deployment agent), pulled and checked by every node like an"
          + " image. Without it, each node serves the boot environment its daemon ships.")
  private BootEnvironment bootEnvironment;

  @JsonPropertyDescription(
      "Serve HTTPS too (boot endpoint, policy, content), with the certificate in a Secret of type"
          + " kubernetes.io/tls; what media pinning a CA need.")
  private Tls tls;

  public Tls getTls() {
    return tls;
  }

  public void setTls(Tls tls) {
    this.tls = tls;
  }

  public BootEnvironment getBootEnvironment() {
    return bootEnvironment;
  }

  public void setBootEnvironment(BootEnvironment bootEnvironment) {
    this.bootEnvironment = bootEnvironment;
  }

  public Map<String, String> getNodeSelector() {
    return nodeSelector;
  }

  public void setNodeSelector(Map<String, String> nodeSelector) {
    this.nodeSelector = nodeSelector;
  }

  public List<Toleration> getTolerations() {
    return tolerations;
  }

  public void setTolerations(List<Toleration> tolerations) {
    this.tolerations = tolerations;
  }

  public String getContentPath() {
    return contentPath;
  }

  public void setContentPath(String contentPath) {
    this.contentPath = contentPath;
  }

  public ImageSelection getOsImages() {
    return osImages;
  }

  public void setOsImages(ImageSelection osImages) {
    this.osImages = osImages;
  }

  public DistributionPointMulticast getMulticast() {
    return multicast;
  }

  public void setMulticast(DistributionPointMulticast multicast) {
    this.multicast = multicast;
  }

  public Boolean getUnicastFallback() {
    return unicastFallback;
  }

  public void setUnicastFallback(Boolean unicastFallback) {
    this.unicastFallback = unicastFallback;
  }

  public Pxe getPxe() {
    return pxe;
  }

  public void setPxe(Pxe pxe) {
    this.pxe = pxe;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class BootEnvironment {
    @io.fabric8.generator.annotation.Required
    @Pattern(Patterns.HTTP_URL)
    @Size(max = 2048)
    @JsonPropertyDescription(
        "URL of the kernel. Each node pulls it into its content library; machines get it from"
            + " the node.")
    private String kernelUrl;

    @io.fabric8.generator.annotation.Required
    @Pattern(Patterns.HTTP_URL)
    @Size(max = 2048)
    @JsonPropertyDescription("URL of the initrd with the deployment agent.")
    private String initrdUrl;

    @io.fabric8.generator.annotation.Required
    @Pattern(Patterns.SHA256)
    @JsonPropertyDescription(
        "SHA-256 of the kernel: each node pulls it once, checks it, and serves only bytes that"
            + " match.")
    private String kernelSha256;

    @io.fabric8.generator.annotation.Required
    @Pattern(Patterns.SHA256)
    @JsonPropertyDescription("SHA-256 of the initrd, checked the same way.")
    private String initrdSha256;

    public String getKernelSha256() {
      return kernelSha256;
    }

    public void setKernelSha256(String kernelSha256) {
      this.kernelSha256 = kernelSha256;
    }

    public String getInitrdSha256() {
      return initrdSha256;
    }

    public void setInitrdSha256(String initrdSha256) {
      this.initrdSha256 = initrdSha256;
    }

    @Size(max = 1024)
    @Pattern("^[^\\n\\r]*$")
    @JsonPropertyDescription("Extra kernel command-line arguments.")
    private String args;

    public String getKernelUrl() {
      return kernelUrl;
    }

    public void setKernelUrl(String kernelUrl) {
      this.kernelUrl = kernelUrl;
    }

    public String getInitrdUrl() {
      return initrdUrl;
    }

    public void setInitrdUrl(String initrdUrl) {
      this.initrdUrl = initrdUrl;
    }

    public String getArgs() {
      return args;
    }

    public void setArgs(String args) {
      this.args = args;
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Tls {
    /** The port when the spec names none. */
    public static final int DEFAULT_PORT = 9443;

    @io.fabric8.generator.annotation.Required
    @Pattern(Patterns.OBJECT_NAME)
    @Size(max = 253)
    @JsonPropertyDescription(
        "Secret (same namespace) with tls.crt (the certificate and its chain), tls.key (PKCS#8 or"
            + " PKCS#1 RSA) and optionally ca.crt, which is sent with the chain: a client pinning"
            + " the CA must see it.")
    private String secretName;

    @io.fabric8.generator.annotation.Min(1)
    @io.fabric8.generator.annotation.Max(65535)
    @JsonPropertyDescription("HTTPS port on the nodes; default 9443.")
    private Integer port;

    @JsonPropertyDescription(
        "Turn plain HTTP off for machines: over HTTP the daemons then answer only health, metrics"
            + " and the boot environment's files, and the boot script sends iPXE on to HTTPS, so a"
            + " machine's token and policy never travel in clear text. PXE then needs an iPXE that"
            + " trusts the certificate. Default false.")
    private Boolean required;

    public Boolean getRequired() {
      return required;
    }

    public void setRequired(Boolean required) {
      this.required = required;
    }

    public String getSecretName() {
      return secretName;
    }

    public void setSecretName(String secretName) {
      this.secretName = secretName;
    }

    public Integer getPort() {
      return port;
    }

    public void setPort(Integer port) {
      this.port = port;
    }

    /** The port, with the default filled in. */
    public int port() {
      return port == null ? DEFAULT_PORT : port;
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Pxe {
    @JsonPropertyDescription("Answer PXE clients (proxyDHCP and TFTP) on this DP's nodes.")
    private Boolean enabled;

    @JsonPropertyDescription(
        "Answer every PXE client, not only machines a PXE-available deployment here targets"
            + " (default false: a distribution point never takes over machines it has nothing"
            + " for).")
    private Boolean answerAll;

    @JsonPropertyDescription(
        "A site PXE password: a machine booting by PXE is asked for it (user osdeploy) before it"
            + " gets its boot script and token. The Secret's key (default \"password\") holds"
            + " it; the daemons get only a salted PBKDF2 hash.")
    private BootableMediaSpec.SecretKeyRef passwordSecretRef;

    public BootableMediaSpec.SecretKeyRef getPasswordSecretRef() {
      return passwordSecretRef;
    }

    public void setPasswordSecretRef(BootableMediaSpec.SecretKeyRef passwordSecretRef) {
      this.passwordSecretRef = passwordSecretRef;
    }

    public Boolean getEnabled() {
      return enabled;
    }

    public void setEnabled(Boolean enabled) {
      this.enabled = enabled;
    }

    public Boolean getAnswerAll() {
      return answerAll;
    }

    public void setAnswerAll(Boolean answerAll) {
      this.answerAll = answerAll;
    }
  }
}
