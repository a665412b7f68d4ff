package io.osdeploy.api.crd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class PrinterColumnOrderTest {
  private static final Pattern NAME =
      Pattern.compile("^ {6}name: \"([A-Za-z0-9]+)\"$", Pattern.MULTILINE);

  private static List<String> columns(String crd) {
    String block =
        crd.substring(
            crd.indexOf("additionalPrinterColumns:"), crd.indexOf("    name: \"v1alpha1\""));
    Matcher m = NAME.matcher(block);
    return m.results().map(r -> r.group(1)).toList();
  }

  @Test
  void everyCrdShowsReadyAndStateFirstAndAgeLast() throws IOException {
    for (String kind :
        List.of("bootablemedias", "distributionpoints", "osimages", "tasksequencedeployments")) {
      List<String> columns =
          columns(Files.readString(Path.of("..", "crds", kind + ".osdeploy.io-v1.yml")));
      assertEquals(List.of("Ready", "State"), columns.subList(0, 2), kind + ": " + columns);
      assertEquals("Age", columns.get(columns.size() - 1), kind + ": " + columns);
    }
    assertEquals(
        List.of(
            "Ready", "State", "Targeted", "Succeeded", "Failed", "Availability", "Purpose", "Age"),
        columns(
            Files.readString(Path.of("..", "crds", "tasksequencedeployments.osdeploy.io-v1.yml"))));
  }

  @Test
  void onlyTheColumnListMovesAndTheRestKeepsItsOrder() {
    String crd =
        String.join(
            "\n",
            "spec:",
            "  versions:",
            "  - additionalPrinterColumns:",
            "    - jsonPath: \".metadata.creationTimestamp\"",
            "      name: \"Age\"",
            "      type: \"date\"",
            "    - jsonPath: \".spec.b\"",
            "      name: \"B\"",
            "    - jsonPath: \".spec.a\"",
            "      name: \"A\"",
            "    - jsonPath: \".status.x\"",
            "      name: \"Ready\"",
            "    name: \"v1alpha1\"",
            "");
    assertEquals(
        String.join(
            "\n",
            "spec:",
            "  versions:",
            "  - additionalPrinterColumns:",
            "    - jsonPath: \".status.x\"",
            "      name: \"Ready\"",
            "    - jsonPath: \".spec.b\"",
            "      name: \"B\"",
            "    - jsonPath: \".spec.a\"",
            "      name: \"A\"",
            "    - jsonPath: \".metadata.creationTimestamp\"",
            "      name: \"Age\"",
            "      type: \"date\"",
            "    name: \"v1alpha1\"",
            ""),
        PrinterColumnOrder.reorder(crd));
  }
}
