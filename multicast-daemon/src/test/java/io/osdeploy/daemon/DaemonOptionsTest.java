package io.osdeploy.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DaemonOptionsTest {
  @Test
  void readsTheFlagsTheOperatorPasses() {
    DaemonOptions options =
        DaemonOptions.parse(
            List.of(
                "--node=node-a",
                "--namespace=site",
                "--configmap=berlin-daemon",
                "--advertise-address=10.0.0.5"),
            Map.of());
    assertEquals("node-a", options.node());
    assertEquals("site", options.namespace());
    assertEquals("berlin-daemon", options.configMap());
    assertEquals("10.0.0.5", options.advertiseAddress());
    assertNull(options.httpPort());
    assertEquals("0.0.0.0", options.bindAddress());
  }

  @Test
  void takesDefaultsFromThePodsEnvironment() {
    DaemonOptions options =
        DaemonOptions.parse(
            List.of(
                "--config",
                "/etc/osdeploy/daemon.json",
                "--http-port",
                "0",
                "--content-path=/srv/content"),
            Map.of("NODE_NAME", "node-b", "POD_IP", "10.0.0.9"));
    assertEquals("node-b", options.node());
    assertEquals("10.0.0.9", options.advertiseAddress());
    assertEquals(Path.of("/etc/osdeploy/daemon.json"), options.configFile());
    assertEquals(0, options.httpPort());
    assertEquals(Path.of("/srv/content"), options.contentPath());
  }

  @Test
  void rejectsWhatItCannotUse() {
    Map<String, String> env = Map.of();
    assertThrows(IllegalArgumentException.class, () -> DaemonOptions.parse(List.of(), env));
    assertThrows(
        IllegalArgumentException.class,
        () -> DaemonOptions.parse(List.of("--configmap=a", "--config=b"), env));
    assertThrows(
        IllegalArgumentException.class,
        () -> DaemonOptions.parse(List.of("--config=b", "--verbose"), env));
    assertThrows(
        IllegalArgumentException.class,
        () -> DaemonOptions.parse(List.of("--config=b", "--http-port=70000"), env));
    assertThrows(
        IllegalArgumentException.class,
        () -> DaemonOptions.parse(List.of("--config=b", "--namespace=x"), env));
    assertThrows(
        IllegalArgumentException.class, () -> DaemonOptions.parse(List.of("--config"), env));
  }

  @Test
  void endpointUrlBracketsIpv6() {
    assertEquals("http://10.0.0.5:9080", Daemon.endpointUrl("10.0.0.5", 9080));
    assertEquals("http://[fd00::5]:9080", Daemon.endpointUrl("fd00::5", 9080));
  }
}
