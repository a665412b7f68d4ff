package io.osdeploy.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.osdeploy.agent.TaskSequenceRunner.StepFailed;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a machine does with a user-state archive it is handed: nothing outside the directory it
 * restores into (zip-slip, absolute paths, a symbolic link already there), nothing beyond a size
 * and entry budget (a zip bomb); and what it captures: the directory's own files, never a file a
 * symbolic link points to.
 */
class UserStateArchiveTest {
  @TempDir Path dir;

  private Path zip(String name, List<String> entries, byte[] content) throws IOException {
    Path archive = dir.resolve(name);
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(archive))) {
      for (String entry : entries) {
        zip.putNextEntry(new ZipEntry(entry));
        zip.write(content);
        zip.closeEntry();
      }
    }
    return archive;
  }

  private StepFailed refused(Path archive, Path target) {
    return assertThrows(
        StepFailed.class, () -> UserStateStore.unpack(archive, target, Files.size(archive)));
  }

  @Test
  void entriesOutsideTheDirectoryAreRefusedAndWriteNothingThere() throws Exception {
    Path target = Files.createDirectories(dir.resolve("home"));
    for (String evil : List.of("../evil.txt", "a/../../evil.txt", "/tmp/evil.txt")) {
      StepFailed e = refused(zip("slip.zip", List.of(evil), "x".getBytes()), target);
      assertTrue(e.getMessage().contains("outside"), e.getMessage());
    }
    assertFalse(Files.exists(dir.resolve("evil.txt")));
  }

  @Test
  void aSymbolicLinkInTheTargetIsNotAWayOut() throws Exception {
    Path target = Files.createDirectories(dir.resolve("home"));
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.createSymbolicLink(target.resolve("link"), outside);
    StepFailed e = refused(zip("link.zip", List.of("link/planted.txt"), "x".getBytes()), target);
    assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
    assertFalse(Files.exists(outside.resolve("planted.txt")));
    // A link named like a file in the archive is replaced by the file, not written through.
    Path victim = Files.writeString(dir.resolve("victim.txt"), "keep");
    Files.createSymbolicLink(target.resolve("file.txt"), victim);
    assertEquals(
        1,
        UserStateStore.unpack(zip("file.zip", List.of("file.txt"), "new".getBytes()), target, 100));
    assertEquals("keep", Files.readString(victim));
    assertEquals("new", Files.readString(target.resolve("file.txt")));
    assertFalse(Files.isSymbolicLink(target.resolve("file.txt")));
  }

  @Test
  void aZipBombAndTooManyEntriesAreRefused() throws Exception {
    Path target = Files.createDirectories(dir.resolve("home"));
    // 100 MiB of zeros compress to about 100 KiB: far beyond 100 times the archive.
    Path bomb = zip("bomb.zip", List.of("zeros.bin"), new byte[100 << 20]);
    assertTrue(Files.size(bomb) < 1 << 20, "size " + Files.size(bomb));
    StepFailed e = refused(bomb, target);
    assertTrue(e.getMessage().contains("zip bomb"), e.getMessage());
    assertTrue(
        Files.size(target.resolve("zeros.bin")) <= UserStateStore.MIN_ALLOWANCE,
        "stopped at the allowance");

    List<String> many = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      many.add("f" + i);
    }
    Path crowd = zip("many.zip", many, new byte[0]);
    StepFailed tooMany =
        assertThrows(
            StepFailed.class, () -> UserStateStore.unpack(crowd, target, Files.size(crowd), 10));
    assertTrue(tooMany.getMessage().contains("more than 10 entries"), tooMany.getMessage());
  }

  @Test
  void captureTakesTheDirectorysFilesAndNoFileALinkPointsTo() throws Exception {
    Path home = Files.createDirectories(dir.resolve("capture"));
    Files.writeString(home.resolve("notes.txt"), "mine");
    Files.createDirectories(home.resolve("docs"));
    Files.writeString(home.resolve("docs/a.txt"), "a");
    Path secret = Files.writeString(dir.resolve("shadow"), "root:secret");
    Files.createSymbolicLink(home.resolve("shadow-link"), secret);
    Files.createSymbolicLink(home.resolve("etc-link"), dir);

    AtomicReference<byte[]> uploaded = new AtomicReference<>();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/v1/userstate",
        exchange -> {
          uploaded.set(exchange.getRequestBody().readAllBytes());
          exchange.sendResponseHeaders(201, -1);
          exchange.close();
        });
    server.start();
    try {
      UserStateStore store =
          new UserStateStore(
              URI.create("http://127.0.0.1:" + server.getAddress().getPort()),
              new Identity("52:54:00:00:00:01", null),
              dir.resolve("work"),
              null,
              () -> "token");
      store.capture("refresh", null, home);
    } finally {
      server.stop(0);
    }
    List<String> names = new ArrayList<>();
    try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(uploaded.get()))) {
      for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
        names.add(e.getName());
      }
    }
    assertEquals(List.of("docs/a.txt", "notes.txt"), names);
  }
}
