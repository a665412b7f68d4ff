package io.osdeploy.operator.media;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * A boot server for tests: records every {@code /v1/boot.ipxe} request and answers with a script
 * that only echoes, or with 404 (a server that has nothing for the machine). With a password it
 * answers 401 and a Basic challenge until the request carries credentials, as a daemon would. Over
 * HTTPS when given a TLS context.
 */
final class BootServerStub implements AutoCloseable {
  record BootRequest(Map<String, String> query, String basicPassword) {}

  /** The host as a QEMU guest on user-mode networking sees it. */
  static final String GUEST_HOST = "10.0.2.2";

  private final HttpServer server;
  private final BlockingQueue<BootRequest> requests = new LinkedBlockingQueue<>();
  private final boolean answers;
  private final boolean challenges;

  private BootServerStub(boolean answers, boolean challenges, SSLContext tls) throws IOException {
    this.answers = answers;
    this.challenges = challenges;
    InetSocketAddress any = new InetSocketAddress("0.0.0.0", 0);
    if (tls == null) {
      server = HttpServer.create(any, 0);
    } else {
      HttpsServer https = HttpsServer.create(any, 0);
      https.setHttpsConfigurator(new HttpsConfigurator(tls));
      server = https;
    }
    server.createContext("/v1/boot.ipxe", this::handle);
    server.start();
  }

  /** Answers every boot request with a script. */
  static BootServerStub answering() throws IOException {
    return new BootServerStub(true, false, null);
  }

  /** Answers every boot request with a script, over HTTPS. */
  static BootServerStub answeringOverHttps(SSLContext tls) throws IOException {
    return new BootServerStub(true, false, tls);
  }

  /** Answers 404 to every boot request. */
  static BootServerStub refusing() throws IOException {
    return new BootServerStub(false, false, null);
  }

  /** Asks for Basic credentials, then answers with a script. */
  static BootServerStub challenging() throws IOException {
    return new BootServerStub(true, true, null);
  }

  /** The URL a QEMU guest on user-mode networking reaches this server at. */
  String guestUrl() {
    String scheme = server instanceof HttpsServer ? "https" : "http";
    return scheme + "://" + GUEST_HOST + ":" + server.getAddress().getPort();
  }

  BootRequest next(long timeoutSeconds) throws InterruptedException {
    return requests.poll(timeoutSeconds, TimeUnit.SECONDS);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String password = basicPassword(exchange.getRequestHeaders().getFirst("Authorization"));
      requests.add(new BootRequest(query(exchange.getRequestURI().getRawQuery()), password));
      if (challenges && password == null) {
        exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"osdeploy\"");
        exchange.sendResponseHeaders(401, -1);
        return;
      }
      if (!answers) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      byte[] body = "#!ipxe\necho osdeploy-test-ok\n".getBytes(StandardCharsets.US_ASCII);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
    }
  }

  /** The password of {@code osdeploy:<password>} Basic credentials, or null. */
  private static String basicPassword(String authorization) {
    if (authorization == null || !authorization.startsWith("Basic ")) {
      return null;
    }
    String decoded =
        new String(
            Base64.getDecoder().decode(authorization.substring("Basic ".length()).trim()),
            StandardCharsets.UTF_8);
    String prefix = PointerScript.USER_NAME + ":";
    return decoded.startsWith(prefix) ? decoded.substring(prefix.length()) : null;
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> query = new LinkedHashMap<>();
    if (raw == null) {
      return query;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      query.put(
          URLDecoder.decode(key, StandardCharsets.UTF_8),
          URLDecoder.decode(value, StandardCharsets.UTF_8));
    }
    return query;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
