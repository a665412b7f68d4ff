package io.osdeploy.config;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.osdeploy.api.v1alpha1.DistributionPointMulticast;
import io.osdeploy.api.v1alpha1.DistributionPointSpec;
import io.osdeploy.api.v1alpha1.ImageMulticast;
import io.osdeploy.api.v1alpha1.Patterns;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The daemon's configuration: what the operator writes into each DistributionPoint's ConfigMap (key
 * {@link #CONFIG_KEY}) and what the daemon reads and validates at load. One schema for both.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = false)
public class DaemonConfig {
  public static final String CONFIG_KEY = "daemon.json";
  public static final int SCHEMA_VERSION = 1;
  public static final int DEFAULT_HTTP_PORT = 9080;
  public static final String DEFAULT_CONTENT_PATH = "/var/lib/osdeploy/content";

  /** Where the DaemonSet mounts the Secret of {@code spec.tls}. */
  public static final String TLS_DIRECTORY = "/etc/osdeploy/tls";

  /** Where a daemon pod has its distribution point's machine-token keys. */
  public static final String MACHINE_TOKEN_DIRECTORY = "/etc/osdeploy/machine-tokens";

  /** Where a daemon pod has the Secret values its deployments hand to machines. */
  public static final String DEPLOYMENT_SECRETS_DIRECTORY = "/etc/osdeploy/deployment-secrets";

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private int schemaVersion = SCHEMA_VERSION;
  private String namespace;
  private String distributionPoint;
  private long generation;
  private String contentPath = DEFAULT_CONTENT_PATH;
  private int httpPort = DEFAULT_HTTP_PORT;

  /** Null: no HTTPS. Left out then, so that daemons older than the setting still read the file. */
  private Integer httpsPort;

  /** The directory holding tls.crt, tls.key and maybe ca.crt; with {@link #httpsPort}. */
  private String tlsDirectory;

  /**
   * Where the distribution point's machine-token keys are mounted (its Secret); null: the daemon
   * signs with a key of its own.
   */
  private String machineTokenDirectory;

  /**
   * Where the distribution point's deployment secrets are mounted; null: none (a machine asking for
   * one is told to try again).
   */
  private String deploymentSecretsDirectory;

  private boolean unicastFallback = true;
  private boolean pxeEnabled;

  /** Left out when false, so that daemons older than the setting still read the file. */
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  private boolean pxeAnswerAll;

  /** Whether plain HTTP serves machines nothing but health, metrics and boot files. */
  private boolean tlsRequired;

  public boolean isTlsRequired() {
    return tlsRequired;
  }

  public void setTlsRequired(boolean tlsRequired) {
    this.tlsRequired = tlsRequired;
  }

  /** The site PXE password's hash ({@code MediaPassword}); null: PXE asks for none. */
  private String pxePasswordHash;

  private DistributionPointMulticast multicast;
  private DistributionPointSpec.BootEnvironment bootEnvironment;
  private List<Image> images = new ArrayList<>();

  /** One OS image the distribution point holds. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Image {
    private String name;
    private String url;
    private String sha256;
    private Long sizeBytes;
    private ImageMulticast multicast;

    public Image() {}

    public Image(String name, String url, String sha256, Long sizeBytes) {
      this.name = name;
      this.url = url;
      this.sha256 = sha256;
      this.sizeBytes = sizeBytes;
    }

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public String getUrl() {
      return url;
    }

    public void setUrl(String url) {
      this.url = url;
    }

    public String getSha256() {
      return sha256;
    }

    public void setSha256(String sha256) {
      this.sha256 = sha256;
    }

    public Long getSizeBytes() {
      return sizeBytes;
    }

    public void setSizeBytes(Long sizeBytes) {
      this.sizeBytes = sizeBytes;
    }

    public ImageMulticast getMulticast() {
      return multicast;
    }

    public void setMulticast(ImageMulticast multicast) {
      this.multicast = multicast;
    }
  }

  /** Parses and validates; the message of the exception names the field. */
  public static DaemonConfig parse(String json) throws InvalidConfigException {
    DaemonConfig config;
    try {
      config = JSON.readValue(json, DaemonConfig.class);
    } catch (JsonProcessingException e) {
      throw new InvalidConfigException(e.getOriginalMessage());
    }
    List<String> problems = config.problems();
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(String.join("; ", problems));
    }
    return config;
  }

  /** A deep copy, through JSON. */
  public static DaemonConfig copyOf(DaemonConfig config) {
    try {
      return JSON.readValue(JSON.writeValueAsString(config), DaemonConfig.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Canonical JSON: the same configuration always gives the same bytes (and hash). */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every problem, each naming the field. */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    if (schemaVersion != SCHEMA_VERSION) {
      problems.add(
          "schemaVersion: " + schemaVersion + " is not supported (want " + SCHEMA_VERSION + ")");
    }
    if (namespace == null || namespace.isBlank()) {
      problems.add("namespace: required");
    }
    if (distributionPoint == null || distributionPoint.isBlank()) {
      problems.add("distributionPoint: required");
    }
    if (contentPath == null || !contentPath.startsWith("/")) {
      problems.add("contentPath: must be an absolute path");
    }
    if (httpPort < 1 || httpPort > 65535) {
      problems.add("httpPort: must be between 1 and 65535");
    }
    if (httpsPort != null) {
      if (httpsPort < 1 || httpsPort > 65535) {
        problems.add("httpsPort: must be between 1 and 65535");
      } else if (httpsPort == httpPort) {
        problems.add("httpsPort: must differ from httpPort");
      }
      if (tlsDirectory == null || !tlsDirectory.startsWith("/")) {
        problems.add("tlsDirectory: must be an absolute path when httpsPort is set");
      }
    }
    Pattern sha = Pattern.compile(Patterns.SHA256);
    Pattern url = Pattern.compile(Patterns.HTTP_URL);
    Pattern name = Pattern.compile(Patterns.OBJECT_NAME);
    Set<String> names = new HashSet<>();
    for (int i = 0; i < images.size(); i++) {
      Image image = images.get(i);
      String at = "images[" + i + "]";
      if (image.name == null || !name.matcher(image.name).matches()) {
        problems.add(at + ".name: must be an object name");
      } else if (!names.add(image.name)) {
        problems.add(at + ".name: duplicate \"" + image.name + "\"");
      }
      if (image.url == null || !url.matcher(image.url).matches()) {
        problems.add(at + ".url: must be an http:// or https:// URL");
      }
      if (image.sha256 == null || !sha.matcher(image.sha256).matches()) {
        problems.add(at + ".sha256: must be 64 hex digits");
      }
      if (image.sizeBytes != null && image.sizeBytes < 1) {
        problems.add(at + ".sizeBytes: must be positive");
      }
    }
    return problems;
  }

  public int getSchemaVersion() {
    return schemaVersion;
  }

  public void setSchemaVersion(int schemaVersion) {
    this.schemaVersion = schemaVersion;
  }

  public String getNamespace() {
    return namespace;
  }

  public void setNamespace(String namespace) {
    this.namespace = namespace;
  }

  public String getDistributionPoint() {
    return distributionPoint;
  }

  public void setDistributionPoint(String distributionPoint) {
    this.distributionPoint = distributionPoint;
  }

  public long getGeneration() {
    return generation;
  }

  public void setGeneration(long generation) {
    this.generation = generation;
  }

  public String getContentPath() {
    return contentPath;
  }

  public void setContentPath(String contentPath) {
    this.contentPath = contentPath;
  }

  public Integer getHttpsPort() {
    return httpsPort;
  }

  public void setHttpsPort(Integer httpsPort) {
    this.httpsPort = httpsPort;
  }

  public String getMachineTokenDirectory() {
    return machineTokenDirectory;
  }

  public void setMachineTokenDirectory(String machineTokenDirectory) {
    this.machineTokenDirectory = machineTokenDirectory;
  }

  public String getDeploymentSecretsDirectory() {
    return deploymentSecretsDirectory;
  }

  public void setDeploymentSecretsDirectory(String deploymentSecretsDirectory) {
    this.deploymentSecretsDirectory = deploymentSecretsDirectory;
  }

  public String getTlsDirectory() {
    return tlsDirectory;
  }

  public void setTlsDirectory(String tlsDirectory) {
    this.tlsDirectory = tlsDirectory;
  }

  public int getHttpPort() {
    return httpPort;
  }

  public void setHttpPort(int httpPort) {
    this.httpPort = httpPort;
  }

  public boolean isUnicastFallback() {
    return unicastFallback;
  }

  public void setUnicastFallback(boolean unicastFallback) {
    this.unicastFallback = unicastFallback;
  }

  public boolean isPxeEnabled() {
    return pxeEnabled;
  }

  public void setPxeEnabled(boolean pxeEnabled) {
    this.pxeEnabled = pxeEnabled;
  }

  public String getPxePasswordHash() {
    return pxePasswordHash;
  }

  public void setPxePasswordHash(String pxePasswordHash) {
    this.pxePasswordHash = pxePasswordHash;
  }

  public boolean isPxeAnswerAll() {
    return pxeAnswerAll;
  }

  public void setPxeAnswerAll(boolean pxeAnswerAll) {
    this.pxeAnswerAll = pxeAnswerAll;
  }

  public DistributionPointMulticast getMulticast() {
    return multicast;
  }

  public void setMulticast(DistributionPointMulticast multicast) {
    this.multicast = multicast;
  }

  public DistributionPointSpec.BootEnvironment getBootEnvironment() {
    return bootEnvironment;
  }

  public void setBootEnvironment(DistributionPointSpec.BootEnvironment bootEnvironment) {
    this.bootEnvironment = bootEnvironment;
  }

  public List<Image> getImages() {
    return images;
  }

  public void setImages(List<Image> images) {
    this.images = images == null ? new ArrayList<>() : images;
  }
}
