package io.osdeploy.operator.media;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MediaServerTest {
  @TempDir Path dir;

  private static int status(MediaServer server, String path, String method) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  @Test
  void probesAnswerAndNothingButArtifactsIsServed() throws Exception {
    try (MediaServer server =
        MediaServer.start(BootFiles.debian(), dir, "127.0.0.1", 0, "http://127.0.0.1")) {
      assertEquals(200, status(server, "/healthz", "GET"));
      assertEquals(503, status(server, "/readyz", "GET"), "not ready until the operator runs");
      server.setReadiness(() -> true);
      assertEquals(200, status(server, "/readyz", "GET"));
      server.setReadiness(
          () -> {
            throw new IllegalStateException("informers not there");
          });
      assertEquals(503, status(server, "/readyz", "GET"));

      assertEquals(404, status(server, "/media/" + "0".repeat(64) + ".iso", "GET"));
      assertEquals(404, status(server, "/media/../../etc/passwd", "GET"));
      assertEquals(404, status(server, "/", "GET"));
      assertEquals(405, status(server, "/media/" + "0".repeat(64) + ".iso", "DELETE"));
    }
  }
}
