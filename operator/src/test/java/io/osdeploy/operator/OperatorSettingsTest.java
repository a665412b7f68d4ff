package io.osdeploy.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class OperatorSettingsTest {
  @Test
  void watchNamespacesIsACommaSeparatedListAndEmptyMeansAll() {
    assertEquals(Set.of(), OperatorSettings.namespaces("V", ""));
    assertEquals(Set.of(), OperatorSettings.namespaces("V", " , "));
    assertEquals(
        Set.of("site-berlin", "site-paris"),
        OperatorSettings.namespaces("V", " site-berlin,site-paris ,,site-berlin"));
  }

  @Test
  void aNameThatCannotBeANamespaceIsAnErrorNamingTheVariable() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                OperatorSettings.namespaces("OSDEPLOY_WATCH_NAMESPACES", "site-berlin,Site_Paris"));
    assertTrue(
        e.getMessage().startsWith("OSDEPLOY_WATCH_NAMESPACES: \"Site_Paris\""), e.getMessage());
  }

  @Test
  void aContentPathMustLieUnderAnAllowedDirectory() {
    OperatorSettings settings =
        new OperatorSettings(
            "daemon",
            "IfNotPresent",
            java.nio.file.Path.of("/media"),
            8088,
            8089,
            null,
            Set.of(),
            OperatorSettings.contentPaths("V", "/var/lib/osdeploy, /srv/osdeploy"),
            java.util.Map.of(),
            8090,
            Set.of());
    assertEquals(java.util.Optional.empty(), settings.contentPathProblem("/var/lib/osdeploy"));
    assertEquals(
        java.util.Optional.empty(), settings.contentPathProblem("/srv/osdeploy/site-a/content"));
    for (String hostile :
        java.util.List.of(
            "/etc", "/var/lib/osdeploy2", "/var/lib/osdeploy/../../etc", "/srv/./osdeploy", "x")) {
      String problem = settings.contentPathProblem(hostile).orElseThrow();
      assertTrue(problem.startsWith("spec.contentPath: "), problem);
    }
    IllegalArgumentException relative =
        assertThrows(
            IllegalArgumentException.class, () -> OperatorSettings.contentPaths("V", "srv"));
    assertTrue(relative.getMessage().startsWith("V: "), relative.getMessage());
    assertThrows(IllegalArgumentException.class, () -> OperatorSettings.contentPaths("V", " "));
  }
}
