package io.osdeploy.daemon.http;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.stream.ChunkedNioFile;
import io.osdeploy.api.v1alpha1.MacAddress;
import io.osdeploy.api.v1alpha1.SmbiosUuid;
import io.osdeploy.auth.MachineTokenKeys;
import io.osdeploy.daemon.auth.MachineAccess;
import io.osdeploy.daemon.userstate.UserStateStore;
import io.osdeploy.digest.Sha256;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code PUT} and {@code GET /v1/userstate?deployment=..&mac=..&uuid=..[&key=..]}: user state
 * archives into and out of the state store. It sits before the request aggregator, so an upload
 * streams to disk as it arrives (the aggregator's small limit keeps holding for every other
 * endpoint); the archive replaces the stored one only once complete and, when the client sends
 * {@code X-Osdeploy-Sha256}, only when the digest matches. One instance per connection.
 */
final class UserStateHandler extends ChannelInboundHandlerAdapter {
  static final String PATH = "/v1/userstate";
  static final String SHA256_HEADER = "X-Osdeploy-Sha256";
  static final String VERSION_HEADER = "X-Osdeploy-Version";

  private static final Logger log = LoggerFactory.getLogger(UserStateHandler.class);

  private final UserStateStore store;
  private final MachineAccess access;

  // The request being handled here, until its last content.
  private HttpRequest head;
  private UserStateStore.Grant grant;
  private HttpResponseStatus refusedWith;
  private String refusal;
  private FileChannel upload;
  private Path partial;
  private MessageDigest digest;
  private long received;
  private long usedAtStart;

  private final java.util.function.BooleanSupplier tlsRequired;

  UserStateHandler(
      UserStateStore store, MachineAccess access, java.util.function.BooleanSupplier tlsRequired) {
    this.store = store;
    this.access = access;
    this.tlsRequired = tlsRequired;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request && head == null && ours(request)) {
      start(ctx, request);
      if (msg instanceof HttpContent content) {
        content(ctx, content);
      }
      return;
    }
    if (head != null && msg instanceof HttpContent content) {
      content(ctx, content);
      return;
    }
    ctx.fireChannelRead(msg);
  }

  private static boolean ours(HttpRequest request) {
    try {
      return PATH.equals(new QueryStringDecoder(request.uri()).path());
    } catch (IllegalArgumentException e) {
      return false; // the main handler answers a malformed path
    }
  }

  private void start(ChannelHandlerContext ctx, HttpRequest request) {
    head = request;
    boolean write = HttpMethod.PUT.equals(request.method());
    boolean read =
        HttpMethod.GET.equals(request.method()) || HttpMethod.HEAD.equals(request.method());
    if (!write && !read) {
      refuse(HttpResponseStatus.METHOD_NOT_ALLOWED, "use GET to restore or PUT to capture");
      return;
    }
    if (!request.decoderResult().isSuccess()) {
      refuse(HttpResponseStatus.BAD_REQUEST, "malformed request");
      return;
    }
    if (ctx.pipeline().get(SslHandler.class) == null && tlsRequired.getAsBoolean()) {
      refuse(HttpResponseStatus.FORBIDDEN, DaemonHttpHandler.PLAIN_HTTP_OFF.strip());
      return;
    }
    QueryStringDecoder query = new QueryStringDecoder(request.uri());
    // Only the machine itself, with its token for the deployment, reads or writes its state.
    MachineTokenKeys.Verification token =
        access.check(request.headers().get(HttpHeaderNames.AUTHORIZATION));
    if (!token.valid()) {
      refuse(
          HttpResponseStatus.UNAUTHORIZED,
          "a valid machine token is required (" + token.failure() + ")");
      return;
    }
    String mac;
    String uuid;
    try {
      mac = MacAddress.parse(param(query, "mac"), "mac");
      uuid = SmbiosUuid.parse(param(query, "uuid"), "uuid");
    } catch (IllegalArgumentException e) {
      refuse(HttpResponseStatus.BAD_REQUEST, e.getMessage());
      return;
    }
    if ((mac == null && uuid == null)
        || !access.mayActFor(token.token(), param(query, "deployment"), mac, uuid)) {
      refuse(
          HttpResponseStatus.FORBIDDEN,
          "this machine's token is not for the user state of that deployment and machine");
      return;
    }
    try {
      grant =
          store.authorize(
              param(query, "deployment"),
              param(query, "mac"),
              param(query, "uuid"),
              param(query, "key"),
              write);
    } catch (UserStateStore.Refusal e) {
      refuse(HttpResponseStatus.valueOf(e.status()), e.getMessage());
      return;
    }
    if (!write) {
      return;
    }
    long declared = HttpUtil.getContentLength(request, -1L);
    if (declared > store.maxBytes()) {
      refuse(
          HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
          "body: " + declared + " bytes; the state store takes at most " + store.maxBytes());
      return;
    }
    try {
      usedAtStart = store.usedBytes();
      if (usedAtStart + Math.max(0, declared) > store.quotaBytes()) {
        refuse(HttpResponseStatus.INSUFFICIENT_STORAGE, full());
        return;
      }
      partial = grant.versions().newUpload();
      upload = FileChannel.open(partial, StandardOpenOption.WRITE);
      digest = Sha256.newDigest();
      received = 0;
    } catch (IOException e) {
      log.error("state store: cannot write under {}", grant.versions().dir(), e);
      refuse(HttpResponseStatus.INSUFFICIENT_STORAGE, "the state store cannot take it now");
      return;
    }
    if (HttpUtil.is100ContinueExpected(request)) {
      ctx.writeAndFlush(
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
    }
  }

  private void content(ChannelHandlerContext ctx, HttpContent content) {
    try {
      if (upload != null && refusal == null) {
        for (ByteBuffer b : content.content().nioBuffers()) {
          digest.update(b.duplicate());
          received += b.remaining();
          while (b.hasRemaining()) {
            upload.write(b);
          }
        }
        if (received > store.maxBytes()) {
          discardUpload();
          refuse(
              HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
              "body: more than the " + store.maxBytes() + " bytes the state store takes");
        } else if (usedAtStart + received > store.quotaBytes()) {
          discardUpload();
          refuse(HttpResponseStatus.INSUFFICIENT_STORAGE, full());
        }
      }
    } catch (IOException e) {
      log.error("state store: writing {} failed", partial, e);
      discardUpload();
      refuse(HttpResponseStatus.INSUFFICIENT_STORAGE, "the state store cannot take it now");
    } finally {
      content.release();
    }
    if (content instanceof LastHttpContent) {
      HttpRequest request = head;
      try {
        finish(ctx, request);
      } finally {
        reset();
      }
    }
  }

  private void finish(ChannelHandlerContext ctx, HttpRequest request) {
    if (refusal != null) {
      Responses.text(ctx, request, refusedWith, refusal + "\n");
      return;
    }
    if (upload != null) {
      stored(ctx, request);
    } else {
      restore(ctx, request);
    }
  }

  private void stored(ChannelHandlerContext ctx, HttpRequest request) {
    String actual = HexFormat.of().formatHex(digest.digest());
    String expected = request.headers().get(SHA256_HEADER);
    try {
      upload.force(true);
      upload.close();
      upload = null;
      if (expected != null && !expected.trim().equalsIgnoreCase(actual)) {
        discardUpload();
        Responses.text(
            ctx,
            request,
            HttpResponseStatus.BAD_REQUEST,
            SHA256_HEADER
                + ": the body's SHA-256 is "
                + actual
                + ", not "
                + expected.trim()
                + "\n");
        return;
      }
      long version = store.keep(grant, partial, actual, received);
      partial = null;
      log.info(
          "state store: {} version {} stored ({} bytes, SHA-256 {})",
          grant.key(),
          version,
          received,
          actual);
      Responses.send(
          ctx,
          request,
          HttpResponseStatus.CREATED,
          ("stored " + received + " bytes as " + grant.key() + " version " + version + "\n")
              .getBytes(StandardCharsets.UTF_8),
          "text/plain; charset=utf-8");
    } catch (IOException e) {
      log.error("state store: keeping {} failed", grant.versions().dir(), e);
      discardUpload();
      Responses.text(
          ctx,
          request,
          HttpResponseStatus.INSUFFICIENT_STORAGE,
          "the state store cannot keep it\n");
    }
  }

  private void restore(ChannelHandlerContext ctx, HttpRequest request) {
    FileChannel file;
    String sha;
    UserStateStore.Stored stored;
    try {
      stored = store.newest(grant).orElseThrow(() -> new java.nio.file.NoSuchFileException("none"));
      sha = stored.sha256();
      file = FileChannel.open(stored.archive(), StandardOpenOption.READ);
    } catch (IOException e) {
      Responses.text(
          ctx,
          request,
          HttpResponseStatus.NOT_FOUND,
          "key: nothing is stored under " + grant.key() + "\n");
      return;
    }
    try {
      long size = file.size();
      HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
      response
          .headers()
          .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
      response.headers().set(SHA256_HEADER, sha);
      response.headers().set(VERSION_HEADER, stored.version());
      HttpUtil.setContentLength(response, size);
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      HttpUtil.setKeepAlive(response, keepAlive);
      ctx.write(response);
      ChannelFuture last;
      if (HttpMethod.HEAD.equals(request.method())) {
        file.close();
        last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
      } else if (ctx.pipeline().get(SslHandler.class) == null) {
        ctx.write(new DefaultFileRegion(file, 0, size));
        last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
      } else {
        // Over TLS the bytes are encrypted in chunks; the chunked input ends the response.
        last =
            ctx.writeAndFlush(new HttpChunkedInput(new ChunkedNioFile(file, 0, size, 64 * 1024)));
      }
      if (!keepAlive) {
        last.addListener(ChannelFutureListener.CLOSE);
      }
    } catch (IOException e) {
      log.error("state store: cannot send {}", stored.archive(), e);
      ctx.close();
    }
  }

  private String full() {
    return "the state store is full: it keeps at most "
        + store.quotaBytes()
        + " bytes, older versions included";
  }

  private void refuse(HttpResponseStatus status, String message) {
    if (refusal == null) {
      refusedWith = status;
      refusal = message;
    }
  }

  private void discardUpload() {
    try {
      if (upload != null) {
        upload.close();
      }
      if (partial != null) {
        Files.deleteIfExists(partial);
      }
    } catch (IOException e) {
      log.warn("state store: cannot remove {}", partial, e);
    }
    upload = null;
    partial = null;
  }

  private void reset() {
    discardUpload();
    head = null;
    grant = null;
    refusal = null;
    refusedWith = null;
    digest = null;
    received = 0;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    reset();
    ctx.fireChannelInactive();
  }

  private static String param(QueryStringDecoder query, String name) {
    List<String> values = query.parameters().get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }
}
