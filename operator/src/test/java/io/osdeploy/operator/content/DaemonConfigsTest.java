package io.osdeploy.operator.content;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.DistributionPointSpec;
import io.osdeploy.config.DaemonConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class DaemonConfigsTest {
  private static DistributionPoint dp(Boolean enabled, Boolean answerAll) {
    DistributionPoint dp = new DistributionPoint();
    dp.getMetadata().setName("site");
    dp.getMetadata().setNamespace("ns");
    dp.setSpec(new DistributionPointSpec());
    if (enabled != null) {
      DistributionPointSpec.Pxe pxe = new DistributionPointSpec.Pxe();
      pxe.setEnabled(enabled);
      pxe.setAnswerAll(answerAll);
      dp.getSpec().setPxe(pxe);
    }
    return dp;
  }

  @Test
  void pxeAnswerAllReachesTheDaemonOnlyWhenSet() throws Exception {
    DaemonConfig all = DaemonConfigs.build(dp(true, true), List.of());
    assertTrue(all.isPxeEnabled());
    assertTrue(all.isPxeAnswerAll());
    assertTrue(DaemonConfig.parse(all.toJson()).isPxeAnswerAll());

    DaemonConfig targeted = DaemonConfigs.build(dp(true, null), List.of());
    assertTrue(targeted.isPxeEnabled());
    assertFalse(targeted.isPxeAnswerAll());
    // Left out when false: a daemon that predates the setting still reads the file.
    assertFalse(targeted.toJson().contains("pxeAnswerAll"), targeted.toJson());

    assertFalse(DaemonConfigs.build(dp(null, null), List.of()).isPxeEnabled());
  }
}
