package io.osdeploy.operator.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * The policy a node gives a machine, asked for as the agent asks: a token for the machine's
 * identity ({@code POST /v1/token}), then {@code GET /v1/policy} with it. For the run command's
 * local machines, and for tests that wait until a node publishes a deployment.
 */
public final class MachinePolicy {
  private static final ObjectMapper JSON = new ObjectMapper();

  private MachinePolicy() {}

  /**
   * The policy document for the machine {@code identity} names ({@code source=..&mac=..[&uuid=..]})
   * at {@code endpoint}; with nothing offered to it, a document without deployments.
   */
  public static String fetch(HttpClient http, String endpoint, String identity)
      throws IOException, InterruptedException {
    HttpResponse<String> issued =
        http.send(
            HttpRequest.newBuilder(URI.create(endpoint + "/v1/token?" + identity))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (issued.statusCode() == 404) {
      return "{\"deployments\":[]}";
    }
    if (issued.statusCode() != 200) {
      throw new IOException("POST /v1/token: HTTP " + issued.statusCode() + ": " + issued.body());
    }
    String token = JSON.readTree(issued.body()).path("token").asText();
    HttpResponse<String> policy =
        http.send(
            HttpRequest.newBuilder(URI.create(endpoint + "/v1/policy?" + identity))
                .header("Authorization", "Bearer " + token)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (policy.statusCode() != 200) {
      throw new IOException("GET /v1/policy: HTTP " + policy.statusCode() + ": " + policy.body());
    }
    return policy.body();
  }
}
