package io.osdeploy.operator.dependent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.config.DaemonConfig;
import io.osdeploy.operator.OperatorSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DaemonLoggingTest {
  private static List<String> logging(Map<String, String> operatorEnv) {
    OperatorSettings settings =
        new OperatorSettings(
            "daemon",
            "IfNotPresent",
            Path.of("/media"),
            8088,
            8089,
            null,
            Set.of(),
            List.of(Path.of("/var/lib/osdeploy")),
            OperatorSettings.logging(operatorEnv),
            8090,
            Set.of());
    DistributionPoint dp = new DistributionPoint();
    dp.getMetadata().setName("berlin");
    dp.getMetadata().setNamespace("site");
    return DaemonSetDependent.daemon(settings, dp, new DaemonConfig()).getEnv().stream()
        .filter(e -> e.getName().startsWith("OSDEPLOY_LOG"))
        .map(e -> e.getName() + "=" + e.getValue())
        .toList();
  }

  @Test
  void theDaemonsLogAsTheOperatorIsToldTo() {
    assertEquals(
        List.of("OSDEPLOY_LOG_FORMAT=json", "OSDEPLOY_LOG_LEVEL=debug"),
        logging(Map.of("OSDEPLOY_LOG_LEVEL", "debug", "OSDEPLOY_LOG_FORMAT", "json", "HOME", "/")));
    assertEquals(List.of(), logging(Map.of("OSDEPLOY_LOG_FORMAT", " ")), "unset: nothing added");
  }
}
