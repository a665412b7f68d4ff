package io.osdeploy.daemon.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.stream.ChunkedNioFile;
import io.osdeploy.api.v1alpha1.Patterns;
import io.osdeploy.daemon.content.VerifiedContent;
import io.osdeploy.daemon.content.VerifiedFile;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /content/<image>} (and {@code /boot/<file>} of the boot environment): the verified
 * copy of an image, with its SHA-256 as the entity tag, single byte ranges (downloads resume),
 * conditional requests, and zero-copy transfer where the connection is not encrypted.
 */
final class ContentResponder {
  static final String PREFIX = "/content/";
  static final String BOOT_PREFIX = "/boot/";

  private static final Logger log = LoggerFactory.getLogger(ContentResponder.class);
  private static final Pattern IMAGE_NAME = Pattern.compile(Patterns.OBJECT_NAME);
  private static final int CHUNK_BYTES = 64 * 1024;

  private final VerifiedContent content;
  private final String prefix;

  ContentResponder(VerifiedContent content, String prefix) {
    this.content = content;
    this.prefix = prefix;
  }

  /** Whether {@code name} is well-formed as an image's name. */
  static boolean isImageName(String name) {
    return IMAGE_NAME.matcher(name).matches();
  }

  void respond(ChannelHandlerContext ctx, HttpRequest request, String path) {
    String image = path.substring(prefix.length());
    // Only a name that could be an image's reaches the library: no slash, no dot segments.
    if (!IMAGE_NAME.matcher(image).matches()) {
      Responses.text(ctx, request, HttpResponseStatus.BAD_REQUEST, "malformed image name\n");
      return;
    }
    if (!content.unicastAllowed(image)) {
      Responses.text(
          ctx,
          request,
          HttpResponseStatus.FORBIDDEN,
          "image "
              + image
              + " is multicastOnly: join its session (POST /v1/multicast/join?image="
              + image
              + ")\n");
      return;
    }
    Optional<VerifiedFile> found = content.verified(image);
    FileChannel channel;
    try {
      channel = open(found);
      if (channel == null && found.isPresent()) {
        // A newer version replaced this one between the lookup and the open: look again.
        found = content.verified(image);
        channel = open(found);
      }
    } catch (IOException e) {
      log.error("image {}: cannot open its verified copy", image, e);
      Responses.text(
          ctx, request, HttpResponseStatus.INTERNAL_SERVER_ERROR, "cannot read the image\n");
      return;
    }
    if (channel == null) {
      Responses.text(
          ctx, request, HttpResponseStatus.NOT_FOUND, "no verified copy of " + image + "\n");
      return;
    }
    serve(ctx, request, found.get(), channel);
  }

  private void serve(
      ChannelHandlerContext ctx, HttpRequest request, VerifiedFile file, FileChannel channel) {
    String etag = "\"" + file.sha256() + "\"";
    HttpHeaders headers = request.headers();
    boolean transferred = false;
    try {
      if (matchesAny(headers.get(HttpHeaderNames.IF_NONE_MATCH), etag)) {
        FullHttpResponse notModified =
            new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_MODIFIED, Unpooled.EMPTY_BUFFER);
        entityHeaders(notModified, etag);
        Responses.finish(ctx, request, notModified);
        return;
      }
      String ifRange = headers.get(HttpHeaderNames.IF_RANGE);
      RangeRequest range =
          ifRange != null && !ifRange.trim().equals(etag)
              ? new RangeRequest.Whole()
              : RangeHeader.parse(headers.get(HttpHeaderNames.RANGE), file.size());
      if (range instanceof RangeRequest.Unsatisfiable) {
        FullHttpResponse unsatisfiable =
            new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                Unpooled.EMPTY_BUFFER);
        entityHeaders(unsatisfiable, etag);
        unsatisfiable.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + file.size());
        HttpUtil.setContentLength(unsatisfiable, 0);
        Responses.finish(ctx, request, unsatisfiable);
        return;
      }
      long offset = 0;
      long length = file.size();
      HttpResponse response;
      if (range instanceof RangeRequest.Part part) {
        offset = part.first();
        length = part.length();
        response =
            new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.PARTIAL_CONTENT);
        response
            .headers()
            .set(
                HttpHeaderNames.CONTENT_RANGE,
                "bytes " + part.first() + "-" + part.last() + "/" + file.size());
      } else {
        response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
      }
      entityHeaders(response, etag);
      response
          .headers()
          .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
      HttpUtil.setContentLength(response, length);
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      HttpUtil.setKeepAlive(response, keepAlive);
      ctx.write(response);
      ChannelFuture last;
      if (HttpMethod.HEAD.equals(request.method())) {
        last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
      } else if (ctx.pipeline().get(SslHandler.class) == null) {
        // The region owns the channel from here and closes it when released.
        ctx.write(new DefaultFileRegion(channel, offset, length));
        transferred = true;
        last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
      } else {
        // Encrypted bytes cannot be sent by the kernel from the file; chunks go through TLS.
        last =
            ctx.writeAndFlush(
                new HttpChunkedInput(new ChunkedNioFile(channel, offset, length, CHUNK_BYTES)));
        transferred = true;
      }
      if (!keepAlive) {
        last.addListener(ChannelFutureListener.CLOSE);
      }
    } catch (IOException e) {
      // The headers may be out already; closing is the only honest answer left.
      log.error("image {}: cannot send {}", file.image(), file.path(), e);
      ctx.close();
    } finally {
      if (!transferred) {
        closeQuietly(channel);
      }
    }
  }

  private static void entityHeaders(HttpResponse response, String etag) {
    response.headers().set(HttpHeaderNames.ETAG, etag);
    response.headers().set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
  }

  /** If-None-Match: weak comparison, as RFC 9110 asks for it. */
  static boolean matchesAny(String ifNoneMatch, String etag) {
    if (ifNoneMatch == null) {
      return false;
    }
    for (String candidate : ifNoneMatch.split(",")) {
      String tag = candidate.trim();
      if (tag.startsWith("W/")) {
        tag = tag.substring(2);
      }
      if (tag.equals("*") || tag.equals(etag)) {
        return true;
      }
    }
    return false;
  }

  /** The verified file opened for reading, or null when there is none (any more). */
  private static FileChannel open(Optional<VerifiedFile> file) throws IOException {
    if (file.isEmpty()) {
      return null;
    }
    try {
      return FileChannel.open(file.get().path(), StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // Closing a file opened for reading loses nothing.
      log.debug("closing a content file failed", e);
    }
  }
}
