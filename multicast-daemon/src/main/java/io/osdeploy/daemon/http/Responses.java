package io.osdeploy.daemon.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** Small complete responses: text and JSON, without a body for HEAD. */
final class Responses {
  private Responses() {}

  static void text(
      ChannelHandlerContext ctx, HttpRequest request, HttpResponseStatus status, String text) {
    send(ctx, request, status, text.getBytes(StandardCharsets.UTF_8), "text/plain; charset=utf-8");
  }

  static void json(ChannelHandlerContext ctx, HttpRequest request, byte[] json) {
    send(ctx, request, HttpResponseStatus.OK, json, "application/json");
  }

  static void send(
      ChannelHandlerContext ctx,
      HttpRequest request,
      HttpResponseStatus status,
      byte[] body,
      String contentType) {
    finish(ctx, request, response(request, status, body, contentType));
  }

  /** JSON holding secret values: no cache or proxy may keep it. */
  static void secretJson(ChannelHandlerContext ctx, HttpRequest request, byte[] json) {
    FullHttpResponse response = response(request, HttpResponseStatus.OK, json, "application/json");
    response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    finish(ctx, request, response);
  }

  /** 503 with {@code Retry-After}: what was asked is not here yet. */
  static void tryAgain(
      ChannelHandlerContext ctx, HttpRequest request, int afterSeconds, String text) {
    FullHttpResponse response =
        response(
            request,
            HttpResponseStatus.SERVICE_UNAVAILABLE,
            text.getBytes(StandardCharsets.UTF_8),
            "text/plain; charset=utf-8");
    response.headers().set(HttpHeaderNames.RETRY_AFTER, afterSeconds);
    finish(ctx, request, response);
  }

  private static FullHttpResponse response(
      HttpRequest request, HttpResponseStatus status, byte[] body, String contentType) {
    boolean head = HttpMethod.HEAD.equals(request.method());
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            status,
            head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    HttpUtil.setContentLength(response, body.length);
    return response;
  }

  static void methodNotAllowed(ChannelHandlerContext ctx, HttpRequest request, String allow) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.METHOD_NOT_ALLOWED, Unpooled.EMPTY_BUFFER);
    response.headers().set(HttpHeaderNames.ALLOW, allow);
    HttpUtil.setContentLength(response, 0);
    finish(ctx, request, response);
  }

  /** 401 asking for Basic authentication in {@code realm}. */
  static void unauthorized(ChannelHandlerContext ctx, HttpRequest request, String realm) {
    challenge(ctx, request, "Basic realm=\"" + realm + "\"", "password required");
  }

  /** 401 for a request without a valid machine token, saying why. */
  static void bearerRequired(ChannelHandlerContext ctx, HttpRequest request, String why) {
    challenge(ctx, request, "Bearer realm=\"osdeploy\"", why);
  }

  private static void challenge(
      ChannelHandlerContext ctx, HttpRequest request, String challenge, String why) {
    byte[] body = (why + "\n").getBytes(StandardCharsets.UTF_8);
    boolean head = HttpMethod.HEAD.equals(request.method());
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.UNAUTHORIZED,
            head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
    response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, challenge);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    HttpUtil.setContentLength(response, body.length);
    finish(ctx, request, response);
  }

  /** Writes a complete response, closing the connection after it unless the client keeps it. */
  static void finish(ChannelHandlerContext ctx, HttpRequest request, FullHttpResponse response) {
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    HttpUtil.setKeepAlive(response, keepAlive);
    ChannelFuture written = ctx.writeAndFlush(response);
    if (!keepAlive) {
      written.addListener(ChannelFutureListener.CLOSE);
    }
  }
}
