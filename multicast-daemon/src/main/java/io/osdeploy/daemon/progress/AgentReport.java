package io.osdeploy.daemon.progress;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.osdeploy.api.v1alpha1.MachineProgress;
import io.osdeploy.daemon.policy.PolicyRequest;
import java.io.IOException;
import java.util.Locale;

/**
 * What an agent posts to {@code /v1/status}: which deployment, which machine (MAC and/or SMBIOS
 * UUID), which step, how it stands ({@code running}, {@code succeeded} or {@code failed}) and a
 * message; while a step writes an image, how far it is ({@code imageBytes}, {@code
 * imageTotalBytes}, {@code imageBytesPerSecond}). Parsing checks every field and names the one that
 * is wrong.
 */
public record AgentReport(
    String deployment,
    String mac,
    String uuid,
    Integer step,
    MachineProgress.State state,
    String message,
    Long imageBytes,
    Long imageTotalBytes,
    Long imageBytesPerSecond) {
  public AgentReport(
      String deployment,
      String mac,
      String uuid,
      Integer step,
      MachineProgress.State state,
      String message) {
    this(deployment, mac, uuid, step, state, message, null, null, null);
  }

  /** The largest byte count accepted: 1 PiB, far beyond any disk image. */
  static final long MAX_BYTES = 1L << 50;

  /** Longer messages are cut here; the status keeps what an administrator needs to read. */
  public static final int MAX_MESSAGE = 1024;

  /** The largest step index accepted; a task sequence has far fewer steps. */
  static final int MAX_STEP = 10_000;

  private static final ObjectMapper JSON = new ObjectMapper();

  public static AgentReport parse(byte[] body) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("body: not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new IllegalArgumentException("body: unreadable: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("body: must be a JSON object");
    }
    String deployment = text(root, "deployment");
    if (deployment == null) {
      throw new IllegalArgumentException("deployment: required");
    }
    PolicyRequest machine =
        new PolicyRequest(
            text(root, "mac"), text(root, "uuid"), PolicyRequest.Source.CLIENT, deployment);
    Integer step = null;
    JsonNode s = root.get("step");
    if (s != null && !s.isNull()) {
      if (!s.canConvertToInt() || !s.isIntegralNumber() || s.asInt() < 0 || s.asInt() > MAX_STEP) {
        throw new IllegalArgumentException(
            "step: must be a step index from 0 to " + MAX_STEP + " (got " + s + ")");
      }
      step = s.asInt();
    }
    String message = text(root, "message");
    if (message != null && message.length() > MAX_MESSAGE) {
      message = message.substring(0, MAX_MESSAGE - 1) + "…";
    }
    Long imageBytes = bytes(root, "imageBytes");
    Long imageTotalBytes = bytes(root, "imageTotalBytes");
    if (imageBytes != null && imageTotalBytes != null && imageBytes > imageTotalBytes) {
      throw new IllegalArgumentException(
          "imageBytes: " + imageBytes + " is more than imageTotalBytes (" + imageTotalBytes + ")");
    }
    return new AgentReport(
        machine.deployment(),
        machine.mac(),
        machine.uuid(),
        step,
        state(text(root, "state")),
        message,
        imageBytes,
        imageTotalBytes,
        bytes(root, "imageBytesPerSecond"));
  }

  private static Long bytes(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isIntegralNumber()
        || !n.canConvertToLong()
        || n.asLong() < 0
        || n.asLong() > MAX_BYTES) {
      throw new IllegalArgumentException(
          field + ": must be a byte count from 0 to " + MAX_BYTES + " (got " + n + ")");
    }
    return n.asLong();
  }

  private static MachineProgress.State state(String value) {
    return switch (value == null ? "" : value.toLowerCase(Locale.ROOT)) {
      case "running" -> MachineProgress.State.Running;
      case "succeeded" -> MachineProgress.State.Succeeded;
      case "failed" -> MachineProgress.State.Failed;
      default ->
          throw new IllegalArgumentException(
              "state: must be running, succeeded or failed (got " + value + ")");
    };
  }

  private static String text(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw new IllegalArgumentException(field + ": must be a string");
    }
    return n.asText();
  }

  /** The machine's key among a deployment's reports: its MAC, or its UUID when it sent no MAC. */
  public String machine() {
    return mac != null ? mac : uuid;
  }
}
