package io.osdeploy.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A distribution point's token endpoint for agent tests that stand in for one: {@code POST
 * /v1/token} hands out {@link #TOKEN}, and {@link #carried} answers 401 to a request without it.
 */
final class StubTokens {
  static final String TOKEN = "stub-machine-token";

  private StubTokens() {}

  static void serve(HttpServer server) {
    server.createContext(
        "/v1/token",
        exchange -> {
          byte[] body =
              ("{\"token\":\"" + TOKEN + "\",\"expiresInSeconds\":3600}")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
  }

  /** Whether the request carries the token; if not, it is answered with 401 here. */
  static boolean carried(HttpExchange exchange) throws IOException {
    if (("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
      return true;
    }
    exchange.sendResponseHeaders(401, -1);
    exchange.close();
    return false;
  }
}
