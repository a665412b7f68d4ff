package io.osdeploy.operator.media;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Serves the store's artifacts over HTTP: {@code GET} and {@code HEAD /media/<sha256>.iso}, with
 * the SHA-256 as ETag, {@code If-None-Match}, and single byte ranges ({@code Range: bytes=a-b}).
 * Nothing else is served (the probes and metrics are on {@link
 * io.osdeploy.operator.ops.OpsServer}'s port); the name is checked before any file is touched.
 */
public final class MediaServer implements AutoCloseable {
  private static final Pattern PATH = Pattern.compile("^/media/([0-9a-f]{64})\\.iso$");
  private static final Pattern RANGE = Pattern.compile("^bytes=([0-9]{0,18})-([0-9]{0,18})$");

  private final MediaStore store;
  private final HttpServer server;
  private final String baseUrl;
  private final ExecutorService executor = Executors.newFixedThreadPool(4);

  private MediaServer(BootFiles files, Path directory, String bindAddress, int port, String urlBase)
      throws IOException {
    this.server = HttpServer.create(new InetSocketAddress(bindAddress, port), 0);
    // A base URL without a port gets the port bound (port 0 picks a free one).
    this.baseUrl =
        urlBase.matches("^https?://[^/]+:[0-9]+(/.*)?$")
            ? urlBase
            : urlBase + ":" + server.getAddress().getPort();
    this.store = new MediaStore(files, directory, baseUrl);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
  }

  /**
   * A store in {@code directory} and a server for it on {@code bindAddress:port}, started; {@code
   * urlBase} is how others reach it, e.g. {@code http://osdeploy.example.com} (the bound port is
   * added when it names none).
   */
  public static MediaServer start(
      BootFiles files, Path directory, String bindAddress, int port, String urlBase)
      throws IOException {
    MediaServer server = new MediaServer(files, directory, bindAddress, port, urlBase);
    server.server.start();
    return server;
  }

  public MediaStore store() {
    return store;
  }

  public String baseUrl() {
    return baseUrl;
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      boolean head = method.equals("HEAD");
      if (!head && !method.equals("GET")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        text(exchange, 405, "method not allowed\n");
        return;
      }
      String path = exchange.getRequestURI().getRawPath();
      Matcher m = PATH.matcher(path);
      if (!m.matches()) {
        text(exchange, 404, "not found\n");
        return;
      }
      String sha256 = m.group(1);
      Optional<Path> file = store.artifact(sha256);
      if (file.isEmpty()) {
        text(exchange, 404, "not found\n");
        return;
      }
      long size = Files.size(file.get());
      String etag = "\"" + sha256 + "\"";
      exchange.getResponseHeaders().set("ETag", etag);
      exchange.getResponseHeaders().set("Accept-Ranges", "bytes");
      exchange.getResponseHeaders().set("Content-Type", "application/x-iso9660-image");
      if (etag.equals(exchange.getRequestHeaders().getFirst("If-None-Match"))) {
        exchange.sendResponseHeaders(304, -1);
        return;
      }
      long start = 0;
      long end = size - 1;
      int status = 200;
      String range = exchange.getRequestHeaders().getFirst("Range");
      if (range != null) {
        Matcher r = RANGE.matcher(range.trim());
        long[] bounds = r.matches() ? bounds(r, size) : null;
        if (bounds == null) {
          exchange.getResponseHeaders().set("Content-Range", "bytes */" + size);
          text(exchange, 416, "range not satisfiable\n");
          return;
        }
        start = bounds[0];
        end = bounds[1];
        status = 206;
        exchange
            .getResponseHeaders()
            .set("Content-Range", "bytes " + start + "-" + end + "/" + size);
      }
      long length = end - start + 1;
      if (head) {
        exchange.getResponseHeaders().set("Content-Length", Long.toString(length));
        exchange.sendResponseHeaders(status, -1);
        return;
      }
      exchange.sendResponseHeaders(status, length);
      try (InputStream in = Files.newInputStream(file.get());
          OutputStream out = exchange.getResponseBody()) {
        in.skipNBytes(start);
        byte[] buffer = new byte[64 * 1024];
        long left = length;
        while (left > 0) {
          int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
          if (n < 0) {
            break;
          }
          out.write(buffer, 0, n);
          left -= n;
        }
      }
    }
  }

  /** {@code [first, last]} for a satisfiable range, null otherwise. */
  private static long[] bounds(Matcher r, long size) {
    String a = r.group(1);
    String b = r.group(2);
    if (a.isEmpty() && b.isEmpty()) {
      return null;
    }
    if (a.isEmpty()) {
      long suffix = Long.parseLong(b);
      return suffix == 0 ? null : new long[] {Math.max(0, size - suffix), size - 1};
    }
    long first = Long.parseLong(a);
    long last = b.isEmpty() ? size - 1 : Math.min(Long.parseLong(b), size - 1);
    return first >= size || first > last ? null : new long[] {first, last};
  }

  private static void text(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    if (exchange.getRequestMethod().equals("HEAD")) {
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
