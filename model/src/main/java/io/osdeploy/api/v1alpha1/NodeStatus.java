package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Required;
import java.util.ArrayList;
import java.util.List;

/**
 * One node's report in a DistributionPoint's {@code status.nodes}: written only by the daemon on
 * that node (server-side apply, field manager {@code osdeploy-daemon/<node>}), so nodes never
 * conflict with each other or with the operator.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@SchemaCustomizer(
    value = Describe.class,
    input = "self: One distribution point node's report, written only by the daemon on that node.")
public class NodeStatus {
  @Required
  @JsonPropertyDescription("Kubernetes node name.")
  private String name;

  @JsonPropertyDescription("Version of the daemon on the node.")
  private String daemonVersion;

  @JsonPropertyDescription("The daemon's HTTP endpoint on the node, e.g. http://10.0.0.5:9080.")
  private String endpoint;

  @JsonPropertyDescription(
      "The daemon's HTTPS endpoint on the node, e.g. https://10.0.0.5:9443, when the distribution"
          + " point has tls and the node serves it.")
  private String httpsEndpoint;

  public String getHttpsEndpoint() {
    return httpsEndpoint;
  }

  public void setHttpsEndpoint(String httpsEndpoint) {
    this.httpsEndpoint = httpsEndpoint;
  }

  @JsonPropertyDescription("Generation of the DistributionPoint whose configuration the node runs.")
  private Long configGeneration;

  @JsonPropertyDescription("The node's copy of each assigned OS image.")
  private List<ImageState> images = new ArrayList<>();

  @JsonPropertyDescription(
      "The node's copy of the distribution point's own boot environment (spec.bootEnvironment),"
          + " pulled and verified like images: vmlinuz and initrd.img. Empty when the node serves"
          + " the boot environment it ships.")
  private List<ImageState> bootEnvironment = new ArrayList<>();

  @JsonPropertyDescription(
      "The node's live multicast sessions: each one's image, whether it waits for machines (and"
          + " for how many more), sends or repairs.")
  private List<MulticastSessionState> multicastSessions = new ArrayList<>();

  public List<MulticastSessionState> getMulticastSessions() {
    return multicastSessions;
  }

  public void setMulticastSessions(List<MulticastSessionState> multicastSessions) {
    this.multicastSessions = multicastSessions == null ? new ArrayList<>() : multicastSessions;
  }

  public List<ImageState> getBootEnvironment() {
    return bootEnvironment;
  }

  public void setBootEnvironment(List<ImageState> bootEnvironment) {
    this.bootEnvironment = bootEnvironment;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getDaemonVersion() {
    return daemonVersion;
  }

  public void setDaemonVersion(String daemonVersion) {
    this.daemonVersion = daemonVersion;
  }

  public String getEndpoint() {
    return endpoint;
  }

  public void setEndpoint(String endpoint) {
    this.endpoint = endpoint;
  }

  public Long getConfigGeneration() {
    return configGeneration;
  }

  public void setConfigGeneration(Long configGeneration) {
    this.configGeneration = configGeneration;
  }

  public List<ImageState> getImages() {
    return images;
  }

  public void setImages(List<ImageState> images) {
    this.images = images == null ? new ArrayList<>() : images;
  }
}
