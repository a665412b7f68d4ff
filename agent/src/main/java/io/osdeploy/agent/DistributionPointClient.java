package io.osdeploy.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.osdeploy.digest.Sha256;
import io.osdeploy.transfer.receive.Bearer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The agent's side of a distribution point's HTTP endpoints: policy, progress, content. */
final class DistributionPointClient {
  private static final Logger log = LoggerFactory.getLogger(DistributionPointClient.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Thrown for an answer that sending again will not change (4xx). */
  static final class Refused extends IOException {
    final int status;

    Refused(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private final URI server;
  private final Identity identity;
  private final HttpClient http;
  private final Duration retryFor;
  private final SSLContext tls;

  /** How this machine identifies itself for a token: source, and deployment and media or null. */
  private final String source;

  private final String deployment;
  private final String media;

  /** Where the token is kept across runs of the agent (the boot script's, then each renewal). */
  private final Path tokenFile;

  private String token;
  private long renewAt;
  private boolean nothingOffered;

  /** {@code tls}: how an https:// server is trusted; null for the JDK's trusted CAs. */
  DistributionPointClient(URI server, Identity identity, Duration retryFor, SSLContext tls) {
    this(server, identity, retryFor, tls, "client", null, null, null);
  }

  /**
   * A client that carries the machine's token on every request to the server: the one in {@code
   * tokenFile} when there is one (renewed at once, and again at half its life), else one asked for
   * with the machine's identity from {@code source} (and {@code deployment}, {@code media}).
   */
  DistributionPointClient(
      URI server,
      Identity identity,
      Duration retryFor,
      SSLContext tls,
      String source,
      String deployment,
      String media,
      Path tokenFile) {
    this.server = server;
    this.identity = identity;
    this.retryFor = retryFor;
    this.tls = tls;
    this.source = source;
    this.deployment = deployment;
    this.media = media;
    this.tokenFile = tokenFile;
    HttpClient.Builder builder =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NORMAL);
    if (tls != null) {
      builder.sslContext(tls);
    }
    this.http = builder.build();
  }

  /** How the server is trusted, for the other clients of the same server. */
  SSLContext tls() {
    return tls;
  }

  URI server() {
    return server;
  }

  /**
   * The machine's token for the next request, renewed once half its life is gone; null when the
   * distribution point offers this machine nothing. A renewal that fails keeps the token it has
   * (still valid) and is tried again on a later request.
   */
  synchronized String token() throws IOException, InterruptedException {
    if (nothingOffered || (token != null && System.nanoTime() - renewAt < 0)) {
      return token;
    }
    String held = token;
    if (held == null && tokenFile != null && Files.isRegularFile(tokenFile)) {
      held = Files.readString(tokenFile).strip();
    }
    if (held != null && !held.isEmpty()) {
      try {
        byte[] renewed =
            retrying(
                "POST token (renewal)",
                Bearer.request(server.resolve("/v1/token"), held)
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build());
        keep(renewed);
        return token;
      } catch (Refused e) {
        // Expired, retired or no longer covering a deployment: identify again below.
        log.info("the machine token was not renewed ({}); asking for a new one", e.getMessage());
      } catch (IOException e) {
        if (token != null) {
          log.warn(
              "the machine token could not be renewed now ({}); trying again later",
              e.getMessage());
          renewAt = System.nanoTime() + Duration.ofSeconds(30).toNanos();
          return token;
        }
        throw e;
      }
    }
    StringBuilder q = new StringBuilder("/v1/token?source=").append(source);
    param(q, "mac", identity.mac());
    param(q, "uuid", identity.uuid());
    param(q, "deployment", deployment);
    param(q, "media", media);
    try {
      keep(
          retrying(
              "POST token",
              HttpRequest.newBuilder(server.resolve(q.toString()))
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build()));
    } catch (Refused e) {
      if (e.status != 404) {
        throw e;
      }
      nothingOffered = true;
      token = null;
    }
    return token;
  }

  private void keep(byte[] answer) throws IOException {
    var body = JSON.readTree(answer);
    String fresh = body.path("token").asText(null);
    if (fresh == null || fresh.isBlank()) {
      throw new IOException("POST /v1/token: the answer has no token");
    }
    long life = body.path("expiresInSeconds").asLong(3600);
    token = fresh;
    renewAt = System.nanoTime() + Duration.ofSeconds(Math.max(1, life / 2)).toNanos();
    if (tokenFile != null) {
      Path partial = tokenFile.resolveSibling(tokenFile.getFileName() + ".partial");
      Files.createDirectories(tokenFile.toAbsolutePath().getParent());
      Files.writeString(partial, fresh);
      Files.move(
          partial, tokenFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  /** The token for {@code url}: only the distribution point's own URLs carry it. */
  private String tokenFor(URI url) throws IOException, InterruptedException {
    boolean same =
        server.getScheme().equalsIgnoreCase(url.getScheme())
            && server.getHost().equalsIgnoreCase(url.getHost())
            && server.getPort() == url.getPort();
    return same ? token() : null;
  }

  /** A request to the distribution point carrying the machine's token. */
  HttpRequest.Builder request(URI url) throws IOException, InterruptedException {
    return Bearer.request(url, tokenFor(url));
  }

  /** The token for a request made by another client, or null; never thrown over. */
  String tokenOrNull() {
    try {
      return token();
    } catch (IOException e) {
      log.warn("no machine token: {}", e.getMessage());
      return token;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return token;
    }
  }

  /** {@code GET /v1/policy} for this machine; {@code deployment} may be null. */
  Policy policy(String deployment) throws IOException, InterruptedException {
    if (token() == null) {
      return Policy.parse("{\"deployments\":[]}".getBytes(StandardCharsets.UTF_8));
    }
    StringBuilder q = new StringBuilder("/v1/policy?source=").append(source);
    param(q, "mac", identity.mac());
    param(q, "uuid", identity.uuid());
    param(q, "deployment", deployment);
    HttpRequest request = request(server.resolve(q.toString())).GET().build();
    return Policy.parse(retrying("GET policy", request));
  }

  /**
   * {@code GET /v1/secrets}: the Secret values step {@code step} (from 0) of {@code deployment}
   * hands this machine, asked again while the distribution point has not got them yet (503).
   */
  Map<String, String> secrets(String deployment, int step)
      throws IOException, InterruptedException {
    StringBuilder q = new StringBuilder("/v1/secrets?step=").append(step);
    param(q, "deployment", deployment);
    HttpRequest request = request(server.resolve(q.toString())).GET().build();
    return JSON.readValue(
        retrying("GET secrets", request),
        new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() {});
  }

  /**
   * {@code POST /v1/status}: how the machine stands. Sent again while the distribution point is
   * unreachable or answers 5xx, for up to the retry budget; a refusal (4xx) is not sent again.
   */
  void report(String deployment, int step, String state, String message)
      throws IOException, InterruptedException {
    retrying("POST status", statusRequest(statusBody(deployment, step, state, message)));
  }

  /**
   * {@code POST /v1/status}: a {@code running} report of {@code step} while it writes an image,
   * with the bytes written, the image's size ({@code total}, 0 or less when unknown) and the rate.
   * Sent once: the next one follows in a few seconds.
   */
  void progress(
      String deployment, int step, String message, long bytes, long total, long bytesPerSecond)
      throws IOException, InterruptedException {
    Map<String, Object> body = statusBody(deployment, step, "running", message);
    body.put("imageBytes", total > 0 ? Math.min(bytes, total) : bytes);
    if (total > 0) {
      body.put("imageTotalBytes", total);
    }
    body.put("imageBytesPerSecond", bytesPerSecond);
    HttpResponse<byte[]> answer =
        http.send(statusRequest(body), HttpResponse.BodyHandlers.ofByteArray());
    if (answer.statusCode() / 100 != 2) {
      throw new IOException("POST status: HTTP " + answer.statusCode());
    }
  }

  /** The fields every {@code POST /v1/status} carries: which deployment, machine and step. */
  private Map<String, Object> statusBody(
      String deployment, int step, String state, String message) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("deployment", deployment);
    body.put("mac", identity.mac());
    body.put("uuid", identity.uuid());
    body.put("step", step);
    body.put("state", state);
    body.put("message", message);
    return body;
  }

  private HttpRequest statusRequest(Map<String, Object> body)
      throws IOException, InterruptedException {
    return request(server.resolve("/v1/status"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
        .build();
  }

  /**
   * Downloads {@code url} to {@code target}, verified against {@code sha256}; the file appears only
   * once verified.
   */
  void download(URI url, String sha256, Path target) throws IOException, InterruptedException {
    download(
        http.send(request(url).GET().build(), HttpResponse.BodyHandlers.ofInputStream()),
        url,
        sha256,
        target);
  }

  private static void download(
      HttpResponse<InputStream> answer, URI url, String sha256, Path target) throws IOException {
    Path partial = target.resolveSibling(target.getFileName() + ".partial");
    try (InputStream in = answer.body()) {
      if (answer.statusCode() != 200) {
        throw new IOException("GET " + url + ": HTTP " + answer.statusCode());
      }
      Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
    }
    String actual = Sha256.of(partial);
    if (!actual.equalsIgnoreCase(sha256)) {
      Files.deleteIfExists(partial);
      throw new IOException(
          "GET " + url + ": SHA-256 is " + actual + ", the step expects " + sha256);
    }
    Files.move(
        partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Downloads the distribution point's {@code path} to {@code target}, checked against the SHA-256
   * the distribution point names as its ETag (it serves only bytes it verified); returns it.
   */
  String downloadVerified(String path, Path target) throws IOException, InterruptedException {
    URI url = server.resolve(path);
    HttpResponse<InputStream> answer =
        http.send(request(url).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    String etag = answer.headers().firstValue("ETag").orElse("").replace("\"", "");
    if (answer.statusCode() == 200 && !etag.matches("[0-9a-f]{64}")) {
      answer.body().close();
      throw new IOException("GET " + url + ": no SHA-256 ETag to verify it with");
    }
    download(answer, url, etag, target);
    return etag;
  }

  /** Sends {@code request} until it gets a 2xx, a 4xx, or the retry budget is spent. */
  byte[] retrying(String what, HttpRequest request) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + retryFor.toNanos();
    long backoffMillis = 500;
    while (true) {
      String problem;
      try {
        HttpResponse<byte[]> answer = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        String text = new String(answer.body(), StandardCharsets.UTF_8).strip();
        if (answer.statusCode() / 100 == 2) {
          return answer.body();
        }
        if (answer.statusCode() / 100 == 4) {
          throw new Refused(
              answer.statusCode(), what + ": HTTP " + answer.statusCode() + ": " + text);
        }
        problem = "HTTP " + answer.statusCode() + ": " + text;
      } catch (Refused e) {
        throw e;
      } catch (IOException e) {
        problem = e.toString();
      }
      if (System.nanoTime() + backoffMillis * 1_000_000 > deadline) {
        throw new IOException(what + " at " + server + " failed: " + problem);
      }
      log.warn("{} at {} failed ({}); trying again in {} ms", what, server, problem, backoffMillis);
      Thread.sleep(backoffMillis);
      backoffMillis = Math.min(backoffMillis * 2, 10_000);
    }
  }

  private static void param(StringBuilder q, String name, String value) {
    if (value != null) {
      q.append('&')
          .append(name)
          .append('=')
          .append(URLEncoder.encode(value, StandardCharsets.UTF_8));
    }
  }
}
