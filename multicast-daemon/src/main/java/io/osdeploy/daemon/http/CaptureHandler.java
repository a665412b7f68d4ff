package io.osdeploy.daemon.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.osdeploy.api.v1alpha1.MacAddress;
import io.osdeploy.api.v1alpha1.OSImageSpec;
import io.osdeploy.api.v1alpha1.Patterns;
import io.osdeploy.api.v1alpha1.SmbiosUuid;
import io.osdeploy.auth.MachineTokenKeys;
import io.osdeploy.daemon.auth.MachineAccess;
import io.osdeploy.daemon.capture.CaptureStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * {@code PUT /v1/captures?deployment=..&mac=..&uuid=..&name=..}: a captureImage step's upload, the
 * disk or partition compressed with Zstandard, streamed to the capture store as it arrives. Only
 * the machine itself, with its token for a deployment that has a captureImage step of that name,
 * may upload; the headers {@code X-Osdeploy-Uncompressed-Sha256} and {@code
 * X-Osdeploy-Uncompressed-Size} say what the image expands to (every agent that applies it checks
 * that). Answered 201 with the capture as the deployment's status lists it.
 */
final class CaptureHandler extends StreamedUpload {
  static final String PATH = "/v1/captures";
  static final String UNCOMPRESSED_SHA256 = "X-Osdeploy-Uncompressed-Sha256";
  static final String UNCOMPRESSED_SIZE = "X-Osdeploy-Uncompressed-Size";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final CaptureStore store;
  private final MachineAccess access;
  private final Supplier<String> baseUrl;
  private final String node;

  private CaptureStore.Grant grant;
  private OSImageSpec.Uncompressed uncompressed;

  /**
   * @param baseUrl where this daemon is reached, for the capture's URL
   * @param node the Kubernetes node, named in the capture
   */
  CaptureHandler(
      CaptureStore store,
      MachineAccess access,
      BooleanSupplier tlsRequired,
      Supplier<String> baseUrl,
      String node) {
    super(tlsRequired);
    this.store = store;
    this.access = access;
    this.baseUrl = baseUrl;
    this.node = node;
  }

  @Override
  boolean ours(HttpRequest request) {
    return pathIs(request, PATH);
  }

  @Override
  Destination begin(HttpRequest request, QueryStringDecoder query) throws Refused {
    grant = null;
    if (!HttpMethod.PUT.equals(request.method())) {
      throw new Refused(
          HttpResponseStatus.METHOD_NOT_ALLOWED,
          "use PUT to upload a capture; GET " + CaptureStore.PREFIX + "<id> to read one");
    }
    MachineTokenKeys.Verification token =
        access.check(request.headers().get(HttpHeaderNames.AUTHORIZATION));
    if (!token.valid()) {
      throw new Refused(
          HttpResponseStatus.UNAUTHORIZED,
          "a valid machine token is required (" + token.failure() + ")");
    }
    String mac;
    String uuid;
    try {
      mac = MacAddress.parse(param(query, "mac"), "mac");
      uuid = SmbiosUuid.parse(param(query, "uuid"), "uuid");
    } catch (IllegalArgumentException e) {
      throw new Refused(HttpResponseStatus.BAD_REQUEST, e.getMessage());
    }
    String deployment = param(query, "deployment");
    if ((mac == null && uuid == null) || !access.mayActFor(token.token(), deployment, mac, uuid)) {
      throw new Refused(
          HttpResponseStatus.FORBIDDEN,
          "this machine's token is not for captures of that deployment and machine");
    }
    uncompressed = uncompressed(request);
    try {
      grant = store.authorize(deployment, mac, uuid, param(query, "name"));
      return new Destination(
          store.newUpload(), store.maxBytes(), store.roomBytes(), "the capture store");
    } catch (CaptureStore.Refusal e) {
      throw new Refused(HttpResponseStatus.valueOf(e.status()), e.getMessage());
    } catch (IOException e) {
      throw new Refused(
          HttpResponseStatus.INSUFFICIENT_STORAGE, "the capture store cannot take it now");
    }
  }

  private static OSImageSpec.Uncompressed uncompressed(HttpRequest request) throws Refused {
    String sha = request.headers().get(UNCOMPRESSED_SHA256);
    String size = request.headers().get(UNCOMPRESSED_SIZE);
    if (sha == null || !sha.trim().matches(Patterns.SHA256)) {
      throw new Refused(
          HttpResponseStatus.BAD_REQUEST,
          UNCOMPRESSED_SHA256 + ": required, the SHA-256 of the image before compression");
    }
    long bytes;
    try {
      bytes = size == null ? -1 : Long.parseLong(size.trim());
    } catch (NumberFormatException e) {
      bytes = -1;
    }
    if (bytes < 1 || bytes > CaptureStore.DEFAULT_MAX_BYTES) {
      throw new Refused(
          HttpResponseStatus.BAD_REQUEST,
          UNCOMPRESSED_SIZE + ": required, the image's size before compression (1 byte to 1 TiB)");
    }
    return new OSImageSpec.Uncompressed(sha.trim().toLowerCase(Locale.ROOT), bytes);
  }

  @Override
  void complete(
      ChannelHandlerContext ctx, HttpRequest request, Path partial, String sha256, long bytes)
      throws IOException {
    CaptureStore.Stored kept;
    try {
      kept = store.keep(grant, partial, sha256, bytes, uncompressed, baseUrl.get(), node);
    } catch (CaptureStore.Refusal e) {
      Files.deleteIfExists(partial);
      Responses.text(ctx, request, HttpResponseStatus.valueOf(e.status()), e.getMessage() + "\n");
      return;
    }
    Responses.send(
        ctx,
        request,
        HttpResponseStatus.CREATED,
        JSON.writeValueAsBytes(kept.capture()),
        "application/json");
  }

  @Override
  void read(ChannelHandlerContext ctx, HttpRequest request) {
    throw new IllegalStateException("begin() takes no reads");
  }
}
