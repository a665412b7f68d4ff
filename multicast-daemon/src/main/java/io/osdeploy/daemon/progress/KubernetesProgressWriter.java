package io.osdeploy.daemon.progress;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.osdeploy.api.v1alpha1.OsdeployApi;
import io.osdeploy.api.v1alpha1.ProgressReport;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.daemon.report.NodeStatusApply;
import java.net.HttpURLConnection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Server-side apply of this node's entry in a deployment's {@code status.reports}, through the
 * status subresource, with the node's field manager. The body carries the deployment's uid, so a
 * deployment deleted and made again under the same name never gets the old one's reports.
 */
public final class KubernetesProgressWriter implements ProgressWriter {
  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private static final ResourceDefinitionContext DEPLOYMENTS =
      ResourceDefinitionContext.fromResourceType(TaskSequenceDeployment.class);

  private final KubernetesClient client;

  public KubernetesProgressWriter(KubernetesClient client) {
    this.client = client;
  }

  @Override
  public Optional<ProgressReport> read(String namespace, String deployment, String uid, String node)
      throws DeploymentGone {
    GenericKubernetesResource current = resource(namespace, deployment).get();
    if (current == null || !Objects.equals(current.getMetadata().getUid(), uid)) {
      throw new DeploymentGone("TaskSequenceDeployment " + namespace + "/" + deployment);
    }
    if (!(current.get("status", "reports") instanceof List<?> entries)) {
      return Optional.empty();
    }
    return entries.stream()
        .filter(e -> e instanceof Map<?, ?> m && Objects.equals(m.get("node"), node))
        .findFirst()
        .map(e -> JSON.convertValue(e, ProgressReport.class));
  }

  @Override
  public void apply(String namespace, String deployment, String uid, ProgressReport report)
      throws DeploymentGone {
    PatchContext apply =
        new PatchContext.Builder()
            .withPatchType(PatchType.SERVER_SIDE_APPLY)
            .withFieldManager(NodeStatusApply.fieldManager(report.getNode()))
            .withForce(true)
            .build();
    try {
      resource(namespace, deployment)
          .subresource("status")
          .patch(apply, body(namespace, deployment, uid, report));
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND
          || e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        throw new DeploymentGone(
            "TaskSequenceDeployment " + namespace + "/" + deployment + ": " + e.getStatus());
      }
      throw e;
    }
  }

  static String body(String namespace, String deployment, String uid, ProgressReport report) {
    ObjectNode root = JSON.createObjectNode();
    root.put("apiVersion", OsdeployApi.API_VERSION);
    root.put("kind", "TaskSequenceDeployment");
    ObjectNode metadata = root.putObject("metadata");
    metadata.put("name", deployment);
    metadata.put("namespace", namespace);
    metadata.put("uid", uid);
    root.putObject("status").putArray("reports").add(JSON.valueToTree(report));
    try {
      return JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of plain values always serializes", e);
    }
  }

  private Resource<GenericKubernetesResource> resource(String namespace, String name) {
    return client.genericKubernetesResources(DEPLOYMENTS).inNamespace(namespace).withName(name);
  }
}
