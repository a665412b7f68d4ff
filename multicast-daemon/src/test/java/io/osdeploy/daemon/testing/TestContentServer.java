package io.osdeploy.daemon.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real HTTP server on 127.0.0.1 for image sources: serves bytes with Range support, and on
 * request misbehaves the way real servers do (drops the connection midway, ignores Range, answers
 * with an error, stops sending).
 */
public final class TestContentServer implements AutoCloseable {
  /** One request as the server saw it. */
  public record Request(String method, String path, String range) {}

  private static final Pattern RANGE = Pattern.compile("^bytes=(\\d+)-$");

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final Map<String, byte[]> files = new ConcurrentHashMap<>();
  private final Map<String, Integer> statuses = new ConcurrentHashMap<>();
  private final Map<String, Long> dropOnceAfter = new ConcurrentHashMap<>();
  private final Map<String, Long> stallAfter = new ConcurrentHashMap<>();
  private final Map<String, Boolean> ignoresRange = new ConcurrentHashMap<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();

  public TestContentServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  /** Random bytes, the same for the same seed. */
  public static byte[] bytes(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  public TestContentServer serve(String path, byte[] bytes) {
    files.put(path, bytes);
    return this;
  }

  /** Answers every request for {@code path} with {@code status} and no body. */
  public TestContentServer status(String path, int status) {
    statuses.put(path, status);
    return this;
  }

  /** Stops answering {@code path} with a fixed status. */
  public TestContentServer recover(String path) {
    statuses.remove(path);
    return this;
  }

  /** The next response for {@code path} announces all its bytes but ends after {@code bytes}. */
  public TestContentServer dropOnceAfter(String path, long bytes) {
    dropOnceAfter.put(path, bytes);
    return this;
  }

  /** Responses for {@code path} send {@code bytes} and then nothing more. */
  public TestContentServer stallAfter(String path, long bytes) {
    stallAfter.put(path, bytes);
    return this;
  }

  /** Answers Range requests for {@code path} with the whole file. */
  public TestContentServer ignoreRange(String path) {
    ignoresRange.put(path, true);
    return this;
  }

  public List<Request> requests() {
    return List.copyOf(requests);
  }

  public List<Request> requests(String path) {
    return requests.stream().filter(r -> r.path().equals(path)).toList();
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    String range = exchange.getRequestHeaders().getFirst("Range");
    requests.add(new Request(exchange.getRequestMethod(), path, range));
    try (exchange) {
      Integer status = statuses.get(path);
      byte[] file = files.get(path);
      if (status != null || file == null) {
        exchange.sendResponseHeaders(status != null ? status : 404, -1);
        return;
      }
      long start = 0;
      Matcher m = range == null ? null : RANGE.matcher(range);
      if (m != null && m.matches() && !ignoresRange.containsKey(path)) {
        start = Long.parseLong(m.group(1));
        if (start >= file.length) {
          exchange.getResponseHeaders().set("Content-Range", "bytes */" + file.length);
          exchange.sendResponseHeaders(416, -1);
          return;
        }
        exchange
            .getResponseHeaders()
            .set("Content-Range", "bytes " + start + "-" + (file.length - 1) + "/" + file.length);
        exchange.sendResponseHeaders(206, file.length - start);
      } else {
        exchange.sendResponseHeaders(200, file.length);
      }
      long end = file.length;
      Long drop = dropOnceAfter.remove(path);
      Long stall = stallAfter.get(path);
      if (drop != null) {
        end = Math.min(end, start + drop);
      } else if (stall != null) {
        end = Math.min(end, start + stall);
      }
      OutputStream body = exchange.getResponseBody();
      body.write(file, (int) start, (int) (end - start));
      body.flush();
      if (stall != null && drop == null) {
        sleepUntilClosed();
      }
      // Closing with bytes missing makes the server cut the connection: a dropped download.
    } catch (IOException e) {
      // The connection was cut on purpose or by the client; either ends this exchange.
    }
  }

  private void sleepUntilClosed() {
    try {
      TimeUnit.SECONDS.sleep(30);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
