package io.osdeploy.daemon.config;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.osdeploy.config.DaemonConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFileSourceTest {
  @TempDir Path dir;

  @Test
  void readsTheFileAgainWhenItIsReplaced() throws Exception {
    Path file = dir.resolve("daemon.json");
    List<DaemonConfig> applied = new CopyOnWriteArrayList<>();
    ConfigTracker tracker = new ConfigTracker(applied::add);
    try (ConfigFileSource source = new ConfigFileSource(file, tracker, Duration.ofMillis(20))) {
      source.start();
      Files.writeString(file, ConfigTrackerTest.config(1, "win11"));
      await().atMost(Duration.ofSeconds(10)).until(() -> applied.size() == 1);

      // Replaced as the kubelet does it for a mounted ConfigMap: a new file, renamed over.
      Path next = dir.resolve("daemon.json.new");
      Files.writeString(next, ConfigTrackerTest.config(3, "win10"));
      Files.move(next, file, StandardCopyOption.ATOMIC_MOVE);
      await().atMost(Duration.ofSeconds(10)).until(() -> applied.size() == 2);

      assertEquals(3, applied.get(1).getGeneration());
      assertEquals(3, tracker.current().orElseThrow().getGeneration());
    }
  }
}
