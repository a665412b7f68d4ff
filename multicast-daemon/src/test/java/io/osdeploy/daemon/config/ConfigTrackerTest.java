package io.osdeploy.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.config.DaemonConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ConfigTrackerTest {
  private final List<DaemonConfig> applied = new ArrayList<>();
  private final ConfigTracker tracker = new ConfigTracker(applied::add);

  static String config(long generation, String imageName) {
    return """
        {"namespace": "site", "distributionPoint": "berlin", "generation": %d,
         "images": [{"name": "%s", "url": "http://repo/x.wim", "sha256": "%s"}]}
        """
        .formatted(generation, imageName, "a".repeat(64));
  }

  @Test
  void appliesAValidConfiguration() {
    assertTrue(tracker.accept("test", config(1, "win11")));

    assertEquals(1, applied.size());
    assertEquals("berlin", applied.get(0).getDistributionPoint());
    assertEquals(1, tracker.current().orElseThrow().getGeneration());
  }

  @Test
  void keepsThePreviousConfigurationWhenTheNewOneIsInvalid() {
    tracker.accept("test", config(1, "win11"));

    assertFalse(tracker.accept("test", config(2, "Not_A_Name")));
    assertFalse(tracker.accept("test", "{ not json"));
    assertFalse(tracker.accept("test", "{\"namespace\": \"site\", \"unknownField\": 1}"));

    assertEquals(1, applied.size());
    assertEquals(1, tracker.current().orElseThrow().getGeneration());
    assertEquals("win11", tracker.current().orElseThrow().getImages().get(0).getName());
  }

  @Test
  void staysWithoutConfigurationUntilAValidOneArrives() {
    assertFalse(tracker.accept("test", "{\"namespace\": \"site\"}"));
    assertEquals(Optional.empty(), tracker.current());

    assertTrue(tracker.accept("test", config(3, "win11")));
    assertEquals(3, tracker.current().orElseThrow().getGeneration());
  }

  @Test
  void theSameConfigurationAgainChangesNothing() {
    tracker.accept("test", config(1, "win11"));
    assertFalse(tracker.accept("test", config(1, "win11").replace(" ", "")));
    assertEquals(1, applied.size());
  }
}
