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
}
