package io.osdeploy.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ModelTest {
  @Test
  void everyKindIsInTheOsdeployGroupAndVersion() {
    for (Class<? extends HasMetadata> kind :
        List.of(
            OSImage.class,
            DistributionPoint.class,
            TaskSequenceDeployment.class,
            BootableMedia.class)) {
      assertEquals("osdeploy.io/v1alpha1", HasMetadata.getApiVersion(kind), kind.getName());
    }
  }

  @Test
  void multicastPatternAcceptsOnlyClassDAddresses() {
    Pattern p = Pattern.compile(Patterns.MULTICAST_IPV4);
    assertTrue(p.matcher("224.0.0.1").matches());
    assertTrue(p.matcher("239.255.255.255").matches());
    assertTrue(!p.matcher("240.0.0.1").matches());
    assertTrue(!p.matcher("223.255.255.255").matches());
    assertTrue(!p.matcher("239.1.1.256").matches());
    assertTrue(!p.matcher("239.01.1.1").matches());
  }

  @Test
  void macPatternAcceptsColonsAndDashes() {
    Pattern p = Pattern.compile(Patterns.MAC);
    assertTrue(p.matcher("52:54:00:12:34:56").matches());
    assertTrue(p.matcher("52-54-00-AB-cd-EF").matches());
    assertTrue(!p.matcher("52:54:00:12:34").matches());
    assertTrue(!p.matcher("5254.0012.3456").matches());
  }
}
