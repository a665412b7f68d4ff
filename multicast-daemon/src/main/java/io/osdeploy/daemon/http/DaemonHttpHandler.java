package io.osdeploy.daemon.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandler;
import io.osdeploy.daemon.multicast.JoinRefusedException;
import io.osdeploy.daemon.policy.PolicyRequest;
import io.osdeploy.daemon.progress.AgentReport;
import io.osdeploy.daemon.progress.ProgressCollector;
import io.osdeploy.transfer.wire.JoinTicket;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Routes a request to the health, status or content endpoint. */
@ChannelHandler.Sharable
final class DaemonHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(DaemonHttpHandler.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpEndpoints endpoints;
  private final ContentResponder content;
  private final ContentResponder bootFiles;

  DaemonHttpHandler(HttpEndpoints endpoints) {
    this.endpoints = endpoints;
    this.content = new ContentResponder(endpoints.content(), ContentResponder.PREFIX);
    this.bootFiles =
        new ContentResponder(endpoints.bootEnvironment(), ContentResponder.BOOT_PREFIX);
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    if (!request.decoderResult().isSuccess()) {
      Responses.text(ctx, request, HttpResponseStatus.BAD_REQUEST, "malformed request\n");
      return;
    }
    String path;
    try {
      path = new QueryStringDecoder(request.uri()).path();
    } catch (IllegalArgumentException e) {
      Responses.text(ctx, request, HttpResponseStatus.BAD_REQUEST, "malformed path\n");
      return;
    }
    if (HttpMethod.POST.equals(request.method()) && path.equals("/v1/status")) {
      report(ctx, request);
      return;
    }
    if (path.equals("/v1/multicast/join")) {
      if (HttpMethod.POST.equals(request.method())) {
        join(ctx, request);
      } else {
        Responses.methodNotAllowed(ctx, request, "POST");
      }
      return;
    }
    if (!HttpMethod.GET.equals(request.method()) && !HttpMethod.HEAD.equals(request.method())) {
      Responses.methodNotAllowed(
          ctx, request, path.equals("/v1/status") ? "GET, HEAD, POST" : "GET, HEAD");
      return;
    }
    if (path.startsWith(ContentResponder.PREFIX)) {
      content.respond(ctx, request, path);
      return;
    }
    if (path.startsWith(ContentResponder.BOOT_PREFIX)) {
      bootFiles.respond(ctx, request, path);
      return;
    }
    switch (path) {
      case "/healthz" -> Responses.text(ctx, request, HttpResponseStatus.OK, "ok\n");
      case "/readyz" -> {
        if (endpoints.ready().getAsBoolean()) {
          Responses.text(ctx, request, HttpResponseStatus.OK, "ready\n");
        } else {
          Responses.text(
              ctx,
              request,
              HttpResponseStatus.SERVICE_UNAVAILABLE,
              "not ready: waiting for a valid configuration\n");
        }
      }
      case "/v1/status" -> Responses.json(ctx, request, statusJson());
      case "/metrics" ->
          Responses.send(
              ctx,
              request,
              HttpResponseStatus.OK,
              endpoints.metrics().get().getBytes(java.nio.charset.StandardCharsets.UTF_8),
              "text/plain; version=0.0.4; charset=utf-8");
      case "/v1/policy" -> policy(ctx, request);
      case "/v1/boot.ipxe" -> bootScript(ctx, request);
      default -> Responses.text(ctx, request, HttpResponseStatus.NOT_FOUND, "not found\n");
    }
  }

  /**
   * {@code /v1/policy?mac=..&uuid=..&source=client|media|pxe[&deployment=..][&media=..]}: a media
   * that pins a deployment asks for that one.
   */
  private void policy(ChannelHandlerContext ctx, FullHttpRequest request) {
    QueryStringDecoder query = new QueryStringDecoder(request.uri());
    PolicyRequest asked;
    try {
      asked =
          new PolicyRequest(
              param(query, "mac"),
              param(query, "uuid"),
              PolicyRequest.Source.parse(param(query, "source")),
              param(query, "deployment"));
    } catch (IllegalArgumentException e) {
      Responses.text(ctx, request, HttpResponseStatus.BAD_REQUEST, e.getMessage() + "\n");
      return;
    }
    asked = endpoints.media().apply(asked, param(query, "media"));
    try {
      Responses.json(ctx, request, JSON.writeValueAsBytes(endpoints.policy().apply(asked)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a policy document always serializes", e);
    }
  }

  /**
   * {@code /v1/boot.ipxe?mac=..&uuid=..[&media=..][&deployment=..]}: iPXE on media names the media;
   * without it the request comes from PXE.
   */
  private void bootScript(ChannelHandlerContext ctx, FullHttpRequest request) {
    QueryStringDecoder query = new QueryStringDecoder(request.uri());
    PolicyRequest asked;
    try {
      asked =
          new PolicyRequest(
              param(query, "mac"),
              param(query, "uuid"),
              param(query, "media") != null ? PolicyRequest.Source.MEDIA : PolicyRequest.Source.PXE,
              param(query, "deployment"));
    } catch (IllegalArgumentException e) {
      Responses.text(ctx, request, HttpResponseStatus.BAD_REQUEST, e.getMessage() + "\n");
      return;
    }
    String media = param(query, "media");
    PolicyRequest pinned = endpoints.media().apply(asked, media);
    // Asked over HTTPS, the script names this node's HTTPS endpoint for what follows.
    boolean secure = ctx.pipeline().get(SslHandler.class) != null;
    if (!endpoints.mediaPasswords().required(media)) {
      Responses.text(
          ctx, request, HttpResponseStatus.OK, endpoints.bootScript().apply(pinned, secure));
      return;
    }
    // Media with a password: iPXE sends it by Basic authentication once asked with a 401.
    HttpRequest head = new DefaultHttpRequest(request.protocolVersion(), request.method(), "/");
    head.headers().set(request.headers());
    endpoints
        .mediaPasswords()
        .admits(media, request.headers().get(HttpHeaderNames.AUTHORIZATION))
        .whenComplete(
            (admitted, error) -> {
              if (error == null && admitted) {
                Responses.text(
                    ctx, head, HttpResponseStatus.OK, endpoints.bootScript().apply(pinned, secure));
              } else {
                Responses.unauthorized(ctx, head, "osdeploy");
              }
            });
  }

  /**
   * {@code POST /v1/status}: an agent's progress report, as JSON. 202 once it is journaled; 404 for
   * a deployment this distribution point does not publish, 403 for one not meant for this machine,
   * 503 when it could not be stored (send it again).
   */
  private void report(ChannelHandlerContext ctx, FullHttpRequest request) {
    AgentReport report;
    try {
      byte[] body = new byte[request.content().readableBytes()];
      request.content().readBytes(body);
      report = AgentReport.parse(body);
    } catch (IllegalArgumentException e) {
      Responses.text(ctx, request, HttpResponseStatus.BAD_REQUEST, e.getMessage() + "\n");
      return;
    }
    // The request's content is released when this method returns; its headers stay readable.
    HttpRequest head = new DefaultHttpRequest(request.protocolVersion(), request.method(), "/");
    head.headers().set(request.headers());
    endpoints
        .progress()
        .apply(report)
        .whenComplete(
            (outcome, error) -> {
              if (error != null) {
                log.warn("progress report for {} failed", report.deployment(), error);
              }
              switch (error != null ? ProgressCollector.Outcome.NOT_STORED : outcome) {
                case ACCEPTED ->
                    Responses.text(ctx, head, HttpResponseStatus.ACCEPTED, "accepted\n");
                case UNKNOWN_DEPLOYMENT ->
                    Responses.text(
                        ctx,
                        head,
                        HttpResponseStatus.NOT_FOUND,
                        "deployment: this distribution point publishes no deployment "
                            + report.deployment()
                            + "\n");
                case NOT_TARGETED ->
                    Responses.text(
                        ctx,
                        head,
                        HttpResponseStatus.FORBIDDEN,
                        "deployment: "
                            + report.deployment()
                            + " is not for machine "
                            + report.machine()
                            + "\n");
                case NOT_STORED ->
                    Responses.text(
                        ctx,
                        head,
                        HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "the report could not be stored; send it again\n");
                case TOO_MANY_UNKNOWN ->
                    Responses.text(
                        ctx,
                        head,
                        HttpResponseStatus.TOO_MANY_REQUESTS,
                        "deployment: "
                            + report.deployment()
                            + " already has reports from "
                            + ProgressCollector.MAX_UNKNOWN_MACHINES
                            + " unknown computers on this node\n");
              }
            });
  }

  /**
   * {@code POST /v1/multicast/join?image=..&client=..}: the receiver's ticket for a session of the
   * image (group, port, session key, SHA-256). The only place a session key travels.
   */
  private void join(ChannelHandlerContext ctx, FullHttpRequest request) {
    QueryStringDecoder query = new QueryStringDecoder(request.uri());
    String image = param(query, "image");
    String client = param(query, "client");
    if (image == null
        || !image.matches("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
        || image.length() > 253) {
      Responses.text(ctx, request, HttpResponseStatus.BAD_REQUEST, "image: not an image name\n");
      return;
    }
    if (client == null || client.isBlank() || client.length() > 128) {
      Responses.text(
          ctx,
          request,
          HttpResponseStatus.BAD_REQUEST,
          "client: required, at most 128 characters\n");
      return;
    }
    try {
      JoinTicket ticket = endpoints.multicastJoin().join(image, client);
      Responses.json(ctx, request, JSON.writeValueAsBytes(ticket));
    } catch (JoinRefusedException e) {
      HttpResponseStatus status =
          e.reason() == JoinRefusedException.Reason.UNKNOWN_IMAGE
              ? HttpResponseStatus.NOT_FOUND
              : HttpResponseStatus.SERVICE_UNAVAILABLE;
      Responses.text(ctx, request, status, e.getMessage() + "\n");
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a ticket always serializes", e);
    }
  }

  private static String param(QueryStringDecoder query, String name) {
    List<String> values = query.parameters().get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  private byte[] statusJson() {
    try {
      return JSON.writeValueAsBytes(endpoints.status().get());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a NodeStatus always serializes", e);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException) {
      // Clients going away mid-transfer (reset, broken pipe) is ordinary for downloads.
      log.debug(
          "HTTP connection from {} ended: {}", ctx.channel().remoteAddress(), cause.toString());
    } else {
      log.warn("HTTP connection from {} failed", ctx.channel().remoteAddress(), cause);
    }
    ctx.close();
  }
}
