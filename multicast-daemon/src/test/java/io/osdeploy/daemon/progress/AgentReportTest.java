package io.osdeploy.daemon.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.api.v1alpha1.MachineProgress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AgentReportTest {
  private static final String HEAD =
      "{\"deployment\":\"lab\",\"mac\":\"52:54:00:aa:00:01\",\"step\":1,\"state\":\"running\"";

  private static AgentReport parse(String rest) {
    return AgentReport.parse((HEAD + rest + "}").getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void anImagesProgressIsReadWhenSent() {
    AgentReport r =
        parse(
            ",\"message\":\"img 50%\",\"imageBytes\":134217728,\"imageTotalBytes\":268435456,"
                + "\"imageBytesPerSecond\":20971520");
    assertEquals(MachineProgress.State.Running, r.state());
    assertEquals(134217728L, r.imageBytes());
    assertEquals(268435456L, r.imageTotalBytes());
    assertEquals(20971520L, r.imageBytesPerSecond());
    AgentReport plain = parse("");
    assertNull(plain.imageBytes());
    assertNull(plain.imageTotalBytes());
    assertNull(plain.imageBytesPerSecond());
  }

  @Test
  void aBadByteCountIsRefusedNamingItsField() {
    for (String[] bad :
        new String[][] {
          {",\"imageBytes\":-1", "imageBytes"},
          {",\"imageBytes\":1.5", "imageBytes"},
          {",\"imageTotalBytes\":\"many\"", "imageTotalBytes"},
          {",\"imageBytesPerSecond\":" + (1L << 51), "imageBytesPerSecond"},
          {",\"imageBytes\":10,\"imageTotalBytes\":9", "imageBytes"},
        }) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> parse(bad[0]), bad[0]);
      assertTrue(e.getMessage().startsWith(bad[1] + ":"), e.getMessage());
    }
  }
}
