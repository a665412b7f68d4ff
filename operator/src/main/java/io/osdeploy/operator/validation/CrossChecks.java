package io.osdeploy.operator.validation;

import com.fasterxml.jackson.databind.JsonNode;
import io.osdeploy.api.v1alpha1.DistributionPointMulticast;
import io.osdeploy.operator.content.MulticastConflicts;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the operator checks across objects, checked across the documents {@code validate} is given:
 * two distribution points whose multicast address and port ranges overlap (the later one in the
 * files is named, as the operator names the newer one), and a deployment that names an OSImage or a
 * DistributionPoint no document defines. A reference is only checked when the documents define at
 * least one object of its kind: validating one file alone does not claim the rest is missing.
 */
final class CrossChecks {
  /** Reads a distribution point's multicast settings; fields it does not know are left alone. */
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper()
          .disable(
              com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** A document and where it was read. */
  record Located(String file, YamlDocuments.Document doc) {
    JsonNode root() {
      return doc.root();
    }

    String kind() {
      return root().path("kind").asText("");
    }

    String key() {
      return root().path("metadata").path("namespace").asText("")
          + "/"
          + root().path("metadata").path("name").asText("");
    }

    /** The name, after its namespace when it has one. */
    String shown() {
      return namespace().isEmpty() ? root().path("metadata").path("name").asText("") : key();
    }

    String namespace() {
      return root().path("metadata").path("namespace").asText("");
    }

    String at(String pointer, String field, String message) {
      return file
          + ":"
          + doc.lineOf(pointer)
          + ": "
          + kind()
          + "/"
          + root().path("metadata").path("name").asText("(no name)")
          + ": "
          + field
          + ": "
          + message;
    }
  }

  private CrossChecks() {}

  /** The error lines, in the order of the documents. */
  static List<String> check(List<Located> documents) {
    List<String> errors = new ArrayList<>();
    Set<String> images = new HashSet<>();
    Set<String> points = new HashSet<>();
    List<Located> multicast = new ArrayList<>();
    // Each OSImage read once (null where it does not parse), for the deployments' step checks.
    java.util.Map<String, io.osdeploy.api.v1alpha1.OSImage> typedImages = new java.util.HashMap<>();
    for (Located d : documents) {
      switch (d.kind()) {
        case "OSImage" -> {
          images.add(d.key());
          typedImages.put(d.key(), typed(d, io.osdeploy.api.v1alpha1.OSImage.class));
        }
        case "DistributionPoint" -> {
          points.add(d.key());
          DistributionPointMulticast m = multicast(d.root());
          if (m != null) {
            for (Located earlier : multicast) {
              if (overlap(multicast(earlier.root()), m)) {
                errors.add(
                    d.at(
                        "/spec/multicast/addressRange",
                        "spec.multicast.addressRange",
                        "addressRange and portRange overlap with those of DistributionPoint "
                            + earlier.shown()
                            + " ("
                            + earlier.file()
                            + ":"
                            + earlier.doc().lineOf("/spec/multicast/addressRange")
                            + "): two sites would send on the same groups and ports"));
                break;
              }
            }
            multicast.add(d);
          }
        }
        default -> {}
      }
    }
    for (Located d : documents) {
      if (!d.kind().equals("TaskSequenceDeployment")) {
        continue;
      }
      errors.addAll(windowsStepOrder(d, typedImages));
      // Not a list where one is expected: the schema check says so; nothing to cross-check.
      JsonNode steps = d.root().path("spec").path("taskSequence").path("steps");
      for (int i = 0; steps.isArray() && i < steps.size(); i++) {
        for (String action :
            List.of("applyOperatingSystem", "applyDriverPackage", "installPackage")) {
          JsonNode image = steps.get(i).path(action).path("osImage");
          if (image.isTextual()
              && !images.isEmpty()
              && !images.contains(d.namespace() + "/" + image.asText())) {
            String field = "spec.taskSequence.steps[" + i + "]." + action + ".osImage";
            errors.add(
                d.at(
                    "/spec/taskSequence/steps/" + i + "/" + action + "/osImage",
                    field,
                    "no OSImage " + image.asText() + " in the files given"));
          }
        }
      }
      JsonNode dps = d.root().path("spec").path("distributionPoints");
      for (int i = 0; dps.isArray() && i < dps.size(); i++) {
        if (!points.isEmpty() && !points.contains(d.namespace() + "/" + dps.get(i).asText())) {
          errors.add(
              d.at(
                  "/spec/distributionPoints/" + i,
                  "spec.distributionPoints[" + i + "]",
                  "no DistributionPoint " + dps.get(i).asText() + " in the files given"));
        }
      }
    }
    return errors;
  }

  /**
   * What the operator would stall the deployment for, with the images the files define: a Windows
   * image without the Windows layout before it, Windows settings without a Windows image.
   */
  private static List<String> windowsStepOrder(
      Located deployment, java.util.Map<String, io.osdeploy.api.v1alpha1.OSImage> typedImages) {
    java.util.Map<String, io.osdeploy.api.v1alpha1.OSImage> images = new java.util.HashMap<>();
    for (java.util.Map.Entry<String, io.osdeploy.api.v1alpha1.OSImage> e : typedImages.entrySet()) {
      if (e.getKey().startsWith(deployment.namespace() + "/")) {
        if (e.getValue() == null) {
          return List.of(); // the schema check reports what does not parse
        }
        if (e.getValue().getSpec() != null) {
          images.put(e.getValue().getMetadata().getName(), e.getValue());
        }
      }
    }
    io.osdeploy.api.v1alpha1.TaskSequenceDeployment typed =
        typed(deployment, io.osdeploy.api.v1alpha1.TaskSequenceDeployment.class);
    if (typed == null) {
      return List.of();
    }
    if (typed.getSpec() == null
        || typed.getSpec().getTaskSequence() == null
        || typed.getSpec().getTaskSequence().getSteps() == null) {
      return List.of();
    }
    List<String> errors = new ArrayList<>();
    for (io.osdeploy.operator.content.DeploymentContent.StepProblem p :
        io.osdeploy.operator.content.DeploymentContent.windowsStepOrder(typed, images)) {
      errors.add(
          deployment.at(
              "/spec/taskSequence/steps/" + p.step() + "/" + p.field().split("\\.")[0],
              p.path(),
              p.message()));
    }
    return errors;
  }

  /** The document as {@code type}, or null where it does not parse (the schema check says why). */
  private static <T> T typed(Located d, Class<T> type) {
    try {
      return JSON.treeToValue(d.root(), type);
    } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
      return null;
    }
  }

  private static boolean overlap(DistributionPointMulticast a, DistributionPointMulticast b) {
    return MulticastConflicts.overlap(a, b);
  }

  /** The multicast settings of an enabled one, or null (disabled, or its ranges malformed). */
  private static DistributionPointMulticast multicast(JsonNode dp) {
    JsonNode m = dp.path("spec").path("multicast");
    if (!m.path("enabled").asBoolean(false)) {
      return null;
    }
    try {
      DistributionPointMulticast parsed = JSON.treeToValue(m, DistributionPointMulticast.class);
      if (parsed.getAddressRange() == null
          || parsed.getPortRange() == null
          || parsed.getAddressRange().getStart() == null
          || parsed.getAddressRange().getEnd() == null
          || parsed.getPortRange().getStart() == null
          || parsed.getPortRange().getEnd() == null) {
        return null;
      }
      MulticastConflicts.ipv4(parsed.getAddressRange().getStart());
      MulticastConflicts.ipv4(parsed.getAddressRange().getEnd());
      return parsed;
    } catch (com.fasterxml.jackson.core.JsonProcessingException | RuntimeException e) {
      return null; // the schema check reports what is wrong with it
    }
  }
}
