package io.osdeploy.operator.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MediaStoreTest {
  @TempDir Path dir;

  @Test
  void aSweepRemovesUnfinishedBuildsAndUnreferencedArtifactsAndKeepsTheRest() throws Exception {
    String kept = "a".repeat(64);
    String orphan = "b".repeat(64);
    Files.writeString(dir.resolve(kept + ".iso"), "kept");
    Files.writeString(dir.resolve(orphan + ".iso"), "never recorded in a status");
    Path work = Files.createDirectories(dir.resolve(MediaBuilder.WORK_PREFIX + "123/tree/boot"));
    Files.writeString(work.resolve("ipxe.lkrn"), "half copied");
    Files.writeString(dir.resolve("README"), "not the store's");

    MediaStore store = new MediaStore(BootFiles.debian(), dir, "http://media.test");
    List<String> removed = store.sweep(Set.of(kept));

    assertEquals(
        List.of(MediaBuilder.WORK_PREFIX + "123", orphan + ".iso"),
        removed.stream().sorted().toList());
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(
          List.of("README", kept + ".iso"),
          left.map(p -> p.getFileName().toString()).sorted().toList());
    }
    assertTrue(store.artifact(kept).isPresent());
    assertEquals(List.of(), store.sweep(Set.of(kept)), "a second sweep finds nothing");
  }
}
