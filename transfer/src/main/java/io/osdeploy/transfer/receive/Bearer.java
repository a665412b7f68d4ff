package io.osdeploy.transfer.receive;

import java.net.URI;
import java.net.http.HttpRequest;

/** A request to a distribution point carrying the machine's token, when there is one. */
public final class Bearer {
  private Bearer() {}

  /** A request to {@code uri} with {@code Authorization: Bearer token}; none when token is null. */
  public static HttpRequest.Builder request(URI uri, String token) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(uri);
    if (token != null) {
      builder.header("Authorization", "Bearer " + token);
    }
    return builder;
  }
}
