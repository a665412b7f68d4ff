package io.osdeploy.daemon.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.osdeploy.api.v1alpha1.NodeStatus;
import io.osdeploy.api.v1alpha1.OsdeployApi;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The server-side apply of one node's entry in a DistributionPoint's status. The body holds that
 * entry and nothing else: the API server merges it by node name with the other nodes' entries
 * ({@code status.nodes} is a list keyed by name), and the fields this manager does not send, the
 * operator's conditions among them, stay as they are.
 */
public final class NodeStatusApply {
  public static final String FIELD_MANAGER_PREFIX = "osdeploy-daemon/";

  /** The API server refuses longer field manager names. */
  static final int FIELD_MANAGER_MAX = 128;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private NodeStatusApply() {}

  /** The apply patch for {@code report}, as JSON. */
  public static String body(NodeReport report) {
    ObjectNode root = JSON.createObjectNode();
    root.put("apiVersion", OsdeployApi.API_VERSION);
    root.put("kind", "DistributionPoint");
    ObjectNode metadata = root.putObject("metadata");
    metadata.put("name", report.distributionPoint());
    metadata.put("namespace", report.namespace());
    root.putObject("status").putArray("nodes").add(JSON.valueToTree(report.node()));
    try {
      return JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of plain values always serializes", e);
    }
  }

  /**
   * {@code osdeploy-daemon/<node>}. A node name may be up to 253 characters; one too long for a
   * field manager keeps its start and gets a hash of the whole, so managers stay one per node.
   */
  public static String fieldManager(String node) {
    String manager = FIELD_MANAGER_PREFIX + node;
    if (manager.length() <= FIELD_MANAGER_MAX) {
      return manager;
    }
    String hash = HexFormat.of().formatHex(sha256(node)).substring(0, 16);
    return manager.substring(0, FIELD_MANAGER_MAX - hash.length() - 1) + "-" + hash;
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /** Whether two entries are the same, field by field. */
  static boolean same(NodeStatus a, NodeStatus b) {
    return JSON.valueToTree(a).equals(JSON.valueToTree(b));
  }
}
