package io.osdeploy.operator.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.Condition;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.DistributionPointStatus;
import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentStatus;
import io.osdeploy.daemon.metrics.DaemonMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * deploy/monitoring/ names only metrics the code exports: every metric in the alert rules' and the
 * dashboard's expressions appears in a scrape of the operator's registry (with the resource gauges)
 * or of a daemon's {@code /metrics}.
 */
class MonitoringPackTest {
  private static final Path PACK = Path.of("..", "deploy", "monitoring");
  private static final Pattern METRIC =
      Pattern.compile("\\b((?:osdeploy|jvm|process)_[a-z0-9_]+)\\b");

  private static Set<String> exported() {
    OperatorMetrics operator = OperatorMetrics.create();
    ResourceGauges.register(operator.registry(), List::of, List::of, List::of, List::of);
    DaemonMetrics daemon =
        new DaemonMetrics(
            List.of(new ImageState("win11", "a".repeat(64), ImageState.Phase.Verified)),
            null,
            null,
            null,
            Map.of("accepted", 1L),
            0,
            0,
            null,
            Map.of(),
            0);
    String daemonText;
    try (io.osdeploy.daemon.metrics.DaemonMeters meters =
        new io.osdeploy.daemon.metrics.DaemonMeters(() -> daemon)) {
      meters.requestServed("/content/win11", 200, 1_000_000);
      meters.sessionEnded("ALL_VERIFIED", java.time.Duration.ofSeconds(30));
      daemonText = meters.scrape();
    }
    Set<String> names = new TreeSet<>();
    for (String text : List.of(operator.scrape(), daemonText)) {
      for (String line : text.lines().toList()) {
        if (line.startsWith("# TYPE ")) {
          // A family is exported even before it has a series (a counter by reason, no reason yet).
          names.add(line.split(" ")[2]);
        } else if (!line.isBlank() && !line.startsWith("#")) {
          names.add(line.split("[{ ]", 2)[0]);
        }
      }
    }
    return names;
  }

  private static List<String> expressions() throws Exception {
    List<String> exprs = new ArrayList<>();
    JsonNode rules =
        new ObjectMapper(new YAMLFactory()).readTree(PACK.resolve("prometheusrule.yaml").toFile());
    for (JsonNode group : rules.path("spec").path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        exprs.add(rule.path("expr").asText());
      }
    }
    JsonNode dashboard =
        new ObjectMapper().readTree(PACK.resolve("osdeploy-dashboard.json").toFile());
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        exprs.add(target.path("expr").asText());
      }
    }
    return exprs;
  }

  @Test
  void everyMetricTheRulesAndTheDashboardUseIsExported() throws Exception {
    Set<String> exported = exported();
    List<String> exprs = expressions();
    assertTrue(exprs.size() >= 10, "rules and panels read: " + exprs);
    Set<String> used = new TreeSet<>();
    for (String expr : exprs) {
      Matcher m = METRIC.matcher(expr);
      while (m.find()) {
        used.add(m.group(1));
      }
    }
    assertTrue(used.contains("osdeploy_resources"), used.toString());
    assertTrue(used.contains("osdeploy_multicast_bytes_sent_total"), used.toString());
    List<String> missing = used.stream().filter(n -> !exported.contains(n)).toList();
    assertEquals(List.of(), missing, "used but not exported; exported: " + exported);
  }

  @Test
  void theDashboardShipsInTheKustomization() throws Exception {
    String kustomization = Files.readString(PACK.resolve("kustomization.yaml"));
    for (String file :
        List.of("podmonitors.yaml", "prometheusrule.yaml", "osdeploy-dashboard.json")) {
      assertTrue(kustomization.contains(file), file);
    }
    JsonNode dashboard =
        new ObjectMapper().readTree(PACK.resolve("osdeploy-dashboard.json").toFile());
    assertFalse(dashboard.path("panels").isEmpty());
  }

  @Test
  void resourcesAreCountedByTheirReadyConditionAndMachinesSummed() {
    DistributionPoint ready = dp("True");
    DistributionPoint notReady = dp("False");
    DistributionPoint unjudged = new DistributionPoint();
    TaskSequenceDeployment a = deployment(3, 1);
    TaskSequenceDeployment b = deployment(5, 2);
    List<DistributionPoint> dps = new ArrayList<>(List.of(ready, notReady, notReady, unjudged));
    List<TaskSequenceDeployment> deployments =
        new ArrayList<>(List.of(a, b, new TaskSequenceDeployment()));
    OperatorMetrics metrics = OperatorMetrics.create();
    ResourceGauges.register(
        metrics.registry(),
        List::<OSImage>of,
        () -> (Collection<DistributionPoint>) dps,
        () -> (Collection<TaskSequenceDeployment>) deployments,
        List::<BootableMedia>of);
    String text = metrics.scrape();
    assertTrue(
        text.contains("osdeploy_resources{kind=\"DistributionPoint\",ready=\"True\"} 1.0"), text);
    assertTrue(
        text.contains("osdeploy_resources{kind=\"DistributionPoint\",ready=\"False\"} 2.0"), text);
    assertTrue(
        text.contains("osdeploy_resources{kind=\"DistributionPoint\",ready=\"Unknown\"} 1.0"),
        text);
    assertTrue(
        text.contains("osdeploy_resources{kind=\"TaskSequenceDeployment\",ready=\"Unknown\"} 3.0"),
        text);
    assertTrue(text.contains("osdeploy_deployment_machines{state=\"succeeded\"} 8.0"), text);
    assertTrue(text.contains("osdeploy_deployment_machines{state=\"failed\"} 3.0"), text);
    // The gauges keep what they read: a collection leaves them reading, not NaN.
    System.gc();
    assertTrue(
        metrics
            .scrape()
            .contains("osdeploy_resources{kind=\"DistributionPoint\",ready=\"True\"} 1.0"),
        "after a garbage collection");
    // Read at each scrape: a resource gone is gone from the counts.
    dps.remove(notReady);
    deployments.remove(b);
    text = metrics.scrape();
    assertTrue(
        text.contains("osdeploy_resources{kind=\"DistributionPoint\",ready=\"False\"} 1.0"), text);
    assertTrue(text.contains("osdeploy_deployment_machines{state=\"failed\"} 1.0"), text);
  }

  private static DistributionPoint dp(String ready) {
    DistributionPoint dp = new DistributionPoint();
    dp.setStatus(new DistributionPointStatus());
    Condition c = new Condition();
    c.setType("Ready");
    c.setStatus(ready);
    dp.getStatus().setConditions(List.of(c));
    return dp;
  }

  private static TaskSequenceDeployment deployment(int succeeded, int failed) {
    TaskSequenceDeployment d = new TaskSequenceDeployment();
    d.setStatus(new TaskSequenceDeploymentStatus());
    TaskSequenceDeploymentStatus.MachineCounts m = new TaskSequenceDeploymentStatus.MachineCounts();
    m.setSucceeded(succeeded);
    m.setFailed(failed);
    d.getStatus().setMachines(m);
    return d;
  }
}
