package io.osdeploy.operator.page;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.CustomResource;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.BootableMediaStatus;
import io.osdeploy.api.v1alpha1.Condition;
import io.osdeploy.api.v1alpha1.ConditionType;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.DistributionPointStatus;
import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.api.v1alpha1.MachineProgress;
import io.osdeploy.api.v1alpha1.MulticastSessionState;
import io.osdeploy.api.v1alpha1.NodeStatus;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OsdeployStatus;
import io.osdeploy.api.v1alpha1.ProgressReport;
import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.api.v1alpha1.Target;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the live page shows of one resource, as JSON: only fields chosen here, one by one, so that
 * nothing the page sends can be a password, a hash, a token, a session key or a Secret's name. A
 * deployment shows its counts, its steps' names and each machine's latest report (with the step,
 * exit code and output of a failure); a distribution point its nodes and their copies of the
 * content and multicast sessions; boot media their download link and size; an image whether it is
 * ready.
 */
public final class SiteView {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern EXIT_CODE = Pattern.compile("\\bexit code (-?\\d{1,4})\\b");

  private SiteView() {}

  /** The key the page files {@code resource} under: its kind's letter, namespace and name. */
  public static String key(CustomResource<?, ?> resource) {
    String kind;
    if (resource instanceof TaskSequenceDeployment) {
      kind = "d";
    } else if (resource instanceof DistributionPoint) {
      kind = "p";
    } else if (resource instanceof BootableMedia) {
      kind = "m";
    } else if (resource instanceof OSImage) {
      kind = "i";
    } else {
      throw new IllegalArgumentException("not an osdeploy kind: " + resource);
    }
    return kind
        + "/"
        + resource.getMetadata().getNamespace()
        + "/"
        + resource.getMetadata().getName();
  }

  /** The resource as the page shows it, as JSON. */
  public static String render(CustomResource<?, ?> resource) {
    ObjectNode n;
    if (resource instanceof TaskSequenceDeployment d) {
      n = deployment(d);
    } else if (resource instanceof DistributionPoint p) {
      n = distributionPoint(p);
    } else if (resource instanceof BootableMedia m) {
      n = media(m);
    } else if (resource instanceof OSImage i) {
      n = common(i, i.getStatus());
    } else {
      throw new IllegalArgumentException("not an osdeploy kind: " + resource);
    }
    return n.toString();
  }

  static ObjectNode deployment(TaskSequenceDeployment d) {
    ObjectNode n = common(d, d.getStatus());
    TaskSequenceDeploymentStatus status = d.getStatus();
    ObjectNode counts = n.putObject("counts");
    TaskSequenceDeploymentStatus.MachineCounts c = status == null ? null : status.getMachines();
    counts.put("targeted", zero(c == null ? null : c.getTargeted()));
    counts.put("pending", zero(c == null ? null : c.getPending()));
    counts.put("running", zero(c == null ? null : c.getRunning()));
    counts.put("succeeded", zero(c == null ? null : c.getSucceeded()));
    counts.put("failed", zero(c == null ? null : c.getFailed()));
    ArrayNode steps = n.putArray("steps");
    List<Step> stepList =
        d.getSpec() == null || d.getSpec().getTaskSequence() == null
            ? List.of()
            : d.getSpec().getTaskSequence().getSteps();
    if (stepList != null) {
      for (Step s : stepList) {
        steps.add(s.getName() == null ? "" : s.getName());
      }
    }
    // Each machine's latest report over every node; then the targeted machines not heard from.
    Map<String, ObjectNode> machines = new LinkedHashMap<>();
    Map<String, String> names = new LinkedHashMap<>();
    Target target = d.getSpec() == null ? null : d.getSpec().getTarget();
    if (target != null && target.getMachines() != null) {
      for (Target.Machine m : target.getMachines()) {
        String id = m.getMac() != null ? m.getMac() : m.getSmbiosUuid();
        if (id != null) {
          names.put(id, m.getName());
        }
      }
    }
    if (status != null) {
      for (ProgressReport report : status.getReports()) {
        for (MachineProgress p : report.getMachines()) {
          String id = p.machine();
          if (id == null) {
            continue;
          }
          ObjectNode known = machines.get(id);
          if (known != null && known.path("time").asText("").compareTo(orEmpty(p.getTime())) > 0) {
            continue;
          }
          machines.put(id, machine(id, names.get(id), report.getNode(), p));
        }
      }
    }
    ArrayNode rows = n.putArray("machines");
    machines.values().forEach(rows::add);
    for (Map.Entry<String, String> e : names.entrySet()) {
      if (!machines.containsKey(e.getKey())) {
        ObjectNode row = rows.addObject();
        row.put("id", e.getKey());
        putIf(row, "name", e.getValue());
        row.put("state", "Pending");
      }
    }
    return n;
  }

  private static ObjectNode machine(String id, String name, String node, MachineProgress p) {
    ObjectNode row = JSON.createObjectNode();
    row.put("id", id);
    putIf(row, "name", name);
    putIf(row, "node", node);
    row.put("state", p.getState() == null ? "Running" : p.getState().name());
    if (p.getStep() != null) {
      row.put("step", p.getStep());
    }
    putIf(row, "message", p.getMessage());
    putIf(row, "time", p.getTime());
    if (p.getState() == MachineProgress.State.Running && p.getImageBytes() != null) {
      row.put("bytes", p.getImageBytes());
      if (p.getImageTotalBytes() != null) {
        row.put("totalBytes", p.getImageTotalBytes());
      }
      if (p.getImageBytesPerSecond() != null) {
        row.put("bytesPerSecond", p.getImageBytesPerSecond());
      }
    }
    if (p.getState() == MachineProgress.State.Failed && p.getMessage() != null) {
      Matcher m = EXIT_CODE.matcher(p.getMessage());
      if (m.find()) {
        row.put("exitCode", Integer.parseInt(m.group(1)));
      }
    }
    return row;
  }

  static ObjectNode distributionPoint(DistributionPoint p) {
    ObjectNode n = common(p, p.getStatus());
    DistributionPointStatus status = p.getStatus();
    if (status == null) {
      n.putArray("nodes");
      return n;
    }
    if (status.getDesiredNodes() != null) {
      n.put("desiredNodes", status.getDesiredNodes());
    }
    if (status.getReadyNodes() != null) {
      n.put("readyNodes", status.getReadyNodes());
    }
    ArrayNode nodes = n.putArray("nodes");
    for (NodeStatus node : status.getNodes()) {
      ObjectNode row = nodes.addObject();
      row.put("name", node.getName());
      putIf(row, "version", node.getDaemonVersion());
      putIf(row, "endpoint", node.getEndpoint());
      ArrayNode images = row.putArray("images");
      for (ImageState image : node.getImages()) {
        ObjectNode i = images.addObject();
        i.put("name", image.getName());
        i.put("state", image.getState() == null ? "Pending" : image.getState().name());
        if (image.getBytes() != null) {
          i.put("bytes", image.getBytes());
        }
        if (image.getTotalBytes() != null) {
          i.put("totalBytes", image.getTotalBytes());
        }
        putIf(i, "reason", image.getReason());
        putIf(i, "message", image.getMessage());
      }
      ArrayNode sessions = row.putArray("sessions");
      for (MulticastSessionState session : node.getMulticastSessions()) {
        ObjectNode s = sessions.addObject();
        s.put("image", session.getImage());
        s.put("state", session.getState() == null ? "Waiting" : session.getState().name());
        if (session.getMachines() != null) {
          s.put("machines", session.getMachines());
        }
        if (session.getWaitingFor() != null) {
          s.put("waitingFor", session.getWaitingFor());
        }
        putIf(s, "startsBy", session.getStartsBy());
      }
    }
    return n;
  }

  static ObjectNode media(BootableMedia m) {
    ObjectNode n = common(m, m.getStatus());
    BootableMediaStatus.Artifact a = m.getStatus() == null ? null : m.getStatus().getArtifact();
    if (a != null) {
      putIf(n, "url", a.getUrl());
      if (a.getSizeBytes() != null) {
        n.put("sizeBytes", a.getSizeBytes());
      }
    }
    return n;
  }

  /** Namespace, name and the Ready condition, which every kind shows. */
  private static ObjectNode common(CustomResource<?, ?> r, OsdeployStatus status) {
    ObjectNode n = JSON.createObjectNode();
    n.put("namespace", r.getMetadata().getNamespace());
    n.put("name", r.getMetadata().getName());
    Condition ready = null;
    if (status != null && status.getConditions() != null) {
      for (Condition c : status.getConditions()) {
        if (ConditionType.READY.equals(c.getType())) {
          ready = c;
        }
      }
    }
    n.put("ready", ready == null || ready.getStatus() == null ? "Unknown" : ready.getStatus());
    if (ready != null) {
      putIf(n, "reason", ready.getReason());
      putIf(n, "message", ready.getMessage());
    }
    return n;
  }

  private static void putIf(ObjectNode n, String field, String value) {
    if (value != null) {
      n.put(field, value);
    }
  }

  private static int zero(Integer n) {
    return n == null ? 0 : n;
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }
}
