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
  void nothingButArtifactsIsServed() throws Exception {
    try (MediaServer server =
        MediaServer.start(BootFiles.debian(), dir, "127.0.0.1", 0, "http://127.0.0.1")) {
      assertEquals(404, status(server, "/media/" + "0".repeat(64) + ".iso", "GET"));
      assertEquals(404, status(server, "/media/../../etc/passwd", "GET"));
      assertEquals(404, status(server, "/", "GET"));
      assertEquals(404, status(server, "/metrics", "GET"), "metrics are not on the media port");
      assertEquals(404, status(server, "/healthz", "GET"), "nor are the probes");
      assertEquals(405, status(server, "/media/" + "0".repeat(64) + ".iso", "DELETE"));
    }
  }

  private static int status(io.osdeploy.operator.ops.OpsServer ops, String path, String method)
      throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ops.address().getPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  @Test
  void theProbesAndMetricsAnswerOnTheirOwnPort() throws Exception {
    try (io.osdeploy.operator.ops.OpsServer ops =
        io.osdeploy.operator.ops.OpsServer.start(
            "127.0.0.1", 0, () -> "osdeploy_test 1\n", "text/plain; version=0.0.4")) {
      assertEquals(200, status(ops, "/healthz", "GET"));
      assertEquals(503, status(ops, "/readyz", "GET"), "not ready until the operator runs");
      ops.setReadiness(() -> true);
      assertEquals(200, status(ops, "/readyz", "GET"));
      ops.setReadiness(
          () -> {
            throw new IllegalStateException("informers not there");
          });
      assertEquals(503, status(ops, "/readyz", "GET"));
      assertEquals(200, status(ops, "/metrics", "GET"));
      assertEquals(404, status(ops, "/media/" + "0".repeat(64) + ".iso", "GET"));
      assertEquals(405, status(ops, "/metrics", "POST"));
    }
  }
}
