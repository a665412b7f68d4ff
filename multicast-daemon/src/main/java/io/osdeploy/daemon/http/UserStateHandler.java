package io.osdeploy.daemon.http;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
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
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code PUT} and {@code GET /v1/userstate?deployment=..&mac=..&uuid=..[&key=..]}: user state
 * archives into and out of the state store. An upload streams to disk as it arrives; the archive
 * replaces the stored one only once complete and, when the client sends {@code X-Osdeploy-Sha256},
 * only when the digest matches. One instance per connection.
 */
final class UserStateHandler extends StreamedUpload {
  static final String PATH = "/v1/userstate";
  static final String SHA256_HEADER = "X-Osdeploy-Sha256";
  static final String VERSION_HEADER = "X-Osdeploy-Version";

  private static final Logger log = LoggerFactory.getLogger(UserStateHandler.class);

  private final UserStateStore store;
  private final MachineAccess access;

  // The request being handled here, until its last content.
  private UserStateStore.Grant grant;

  UserStateHandler(
      UserStateStore store, MachineAccess access, java.util.function.BooleanSupplier tlsRequired) {
    super(tlsRequired);
    this.store = store;
    this.access = access;
  }

  @Override
  boolean ours(HttpRequest request) {
    return pathIs(request, PATH);
  }

  @Override
  Destination begin(HttpRequest request, QueryStringDecoder query) throws Refused {
    grant = null;
    boolean write = HttpMethod.PUT.equals(request.method());
    if (!write && !isRead(request)) {
      throw new Refused(
          HttpResponseStatus.METHOD_NOT_ALLOWED, "use GET to restore or PUT to capture");
    }
    // Only the machine itself, with its token for the deployment, reads or writes its state.
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
    if ((mac == null && uuid == null)
        || !access.mayActFor(token.token(), param(query, "deployment"), mac, uuid)) {
      throw new Refused(
          HttpResponseStatus.FORBIDDEN,
          "this machine's token is not for the user state of that deployment and machine");
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
      throw new Refused(HttpResponseStatus.valueOf(e.status()), e.getMessage());
    }
    if (!write) {
      return null;
    }
    try {
      return new Destination(
          grant.versions().newUpload(),
          store.maxBytes(),
          store.quotaBytes() - store.usedBytes(),
          "the state store");
    } catch (IOException e) {
      log.error("state store: cannot write under {}", grant.versions().dir(), e);
      throw new Refused(
          HttpResponseStatus.INSUFFICIENT_STORAGE, "the state store cannot take it now");
    }
  }

  @Override
  void complete(
      ChannelHandlerContext ctx, HttpRequest request, Path partial, String actual, long received)
      throws IOException {
    String expected = request.headers().get(SHA256_HEADER);
    if (expected != null && !expected.trim().equalsIgnoreCase(actual)) {
      Files.deleteIfExists(partial);
      Responses.text(
          ctx,
          request,
          HttpResponseStatus.BAD_REQUEST,
          SHA256_HEADER + ": the body's SHA-256 is " + actual + ", not " + expected.trim() + "\n");
      return;
    }
    long version = store.keep(grant, partial, actual, received);
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
  }

  @Override
  void read(ChannelHandlerContext ctx, HttpRequest request) {
    restore(ctx, request);
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
}
