package io.osdeploy.operator.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The operator's probes and metrics, on a port of their own, apart from boot media downloads:
 * {@code /healthz} (200 while the process serves), {@code /readyz} (200 once the operator runs and
 * every informer is connected) and Prometheus {@code /metrics}; {@code GET} and {@code HEAD} only.
 * Who may call it: the kubelet and Prometheus; the NetworkPolicy in {@code deploy/} admits it, and
 * nothing it serves changes anything.
 */
public final class OpsServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(2);
  private volatile BooleanSupplier ready = () -> false;
  private final Supplier<String> metrics;
  private final String metricsContentType;

  private OpsServer(
      String bindAddress, int port, Supplier<String> metrics, String metricsContentType)
      throws IOException {
    this.metrics = metrics;
    this.metricsContentType = metricsContentType;
    this.server = HttpServer.create(new InetSocketAddress(bindAddress, port), 0);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
  }

  /** Serves on {@code bindAddress:port} (0: a free one) the scrape {@code metrics} gives. */
  public static OpsServer start(
      String bindAddress, int port, Supplier<String> metrics, String metricsContentType)
      throws IOException {
    OpsServer ops = new OpsServer(bindAddress, port, metrics, metricsContentType);
    ops.server.start();
    return ops;
  }

  /** What {@code /readyz} answers: the operator sets it once it runs. */
  public void setReadiness(BooleanSupplier readiness) {
    this.ready = readiness;
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
        send(exchange, 405, "text/plain; charset=utf-8", "method not allowed\n", head);
        return;
      }
      switch (exchange.getRequestURI().getRawPath()) {
        case "/healthz" -> send(exchange, 200, "text/plain; charset=utf-8", "ok\n", head);
        case "/readyz" -> {
          boolean isReady;
          try {
            isReady = ready.getAsBoolean();
          } catch (RuntimeException e) {
            isReady = false;
          }
          send(
              exchange,
              isReady ? 200 : 503,
              "text/plain; charset=utf-8",
              isReady ? "ready\n" : "not ready\n",
              head);
        }
        case "/metrics" -> send(exchange, 200, metricsContentType, metrics.get(), head);
        default -> send(exchange, 404, "text/plain; charset=utf-8", "not found\n", head);
      }
    }
  }

  /** Answers {@code status} with {@code body} (nothing but the headers for a HEAD). */
  public static void send(
      HttpExchange exchange, int status, String contentType, String body, boolean head)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    if (head) {
      exchange.sendResponseHeaders(status, -1);
    } else {
      exchange.sendResponseHeaders(status, bytes.length);
      exchange.getResponseBody().write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
