package io.osdeploy.daemon.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandler;
import io.osdeploy.digest.Sha256;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A request whose body streams to a file as it arrives, hashed on the way, within a size limit and
 * the room left in a store; it sits before the request aggregator, so the aggregator's small limit
 * keeps holding for every other endpoint. A subclass says which requests are its own, checks them
 * ({@link #begin}), keeps a complete upload ({@link #complete}) and answers the reads it takes
 * ({@link #read}). One instance per connection.
 */
abstract class StreamedUpload extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(StreamedUpload.class);

  /**
   * Where an accepted upload goes.
   *
   * @param partial the file the body is written to; the subclass takes it over in {@link
   *     #complete}, and it is deleted if the upload fails
   * @param maxBytes the most one body may have
   * @param roomBytes what the store has left for this body
   * @param store what the store is called in messages ("the state store")
   */
  record Destination(Path partial, long maxBytes, long roomBytes, String store) {}

  /** A request refused with an HTTP status and a message naming the field. */
  static final class Refused extends Exception {
    private final HttpResponseStatus status;

    Refused(HttpResponseStatus status, String message) {
      super(message, null, false, false);
      this.status = status;
    }

    HttpResponseStatus status() {
      return status;
    }
  }

  private final BooleanSupplier tlsRequired;

  // The request being handled here, until its last content.
  private HttpRequest head;
  private HttpResponseStatus refusedWith;
  private String refusal;
  private Destination destination;
  private FileChannel upload;
  private Path partial;
  private MessageDigest digest;
  private long received;

  StreamedUpload(BooleanSupplier tlsRequired) {
    this.tlsRequired = tlsRequired;
  }

  /** Whether the request is one this handler takes. */
  abstract boolean ours(HttpRequest request);

  /**
   * Checks a request of this handler's: for an upload returns where its body goes, for a read null
   * ({@link #read} answers it at the request's end).
   */
  abstract Destination begin(HttpRequest request, QueryStringDecoder query) throws Refused;

  /**
   * Keeps a complete, synced upload and answers; {@code partial} is the subclass's now (an
   * exception deletes it).
   */
  abstract void complete(
      ChannelHandlerContext ctx, HttpRequest request, Path partial, String sha256, long bytes)
      throws IOException;

  /** Answers a read that {@link #begin} accepted. */
  abstract void read(ChannelHandlerContext ctx, HttpRequest request);

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

  /** Whether {@code request}'s path is {@code path}; a malformed one is the main handler's. */
  static boolean pathIs(HttpRequest request, String path) {
    try {
      return path.equals(new QueryStringDecoder(request.uri()).path());
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  static String param(QueryStringDecoder query, String name) {
    List<String> values = query.parameters().get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  static boolean isRead(HttpRequest request) {
    return HttpMethod.GET.equals(request.method()) || HttpMethod.HEAD.equals(request.method());
  }

  private void start(ChannelHandlerContext ctx, HttpRequest request) {
    head = request;
    if (!request.decoderResult().isSuccess()) {
      refuse(HttpResponseStatus.BAD_REQUEST, "malformed request");
      return;
    }
    if (ctx.pipeline().get(SslHandler.class) == null && tlsRequired.getAsBoolean()) {
      refuse(HttpResponseStatus.FORBIDDEN, DaemonHttpHandler.PLAIN_HTTP_OFF.strip());
      return;
    }
    try {
      destination = begin(request, new QueryStringDecoder(request.uri()));
    } catch (Refused e) {
      refuse(e.status(), e.getMessage());
      return;
    }
    if (destination == null) {
      return;
    }
    // Whatever happens next, the file begin() made is removed unless the upload completes.
    partial = destination.partial();
    long declared = HttpUtil.getContentLength(request, -1L);
    if (declared > destination.maxBytes()) {
      refuse(
          HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
          "body: "
              + declared
              + " bytes; "
              + destination.store()
              + " takes at most "
              + destination.maxBytes());
      return;
    }
    if (Math.max(0, declared) > destination.roomBytes()) {
      refuse(HttpResponseStatus.INSUFFICIENT_STORAGE, full());
      return;
    }
    try {
      upload = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      digest = Sha256.newDigest();
      received = 0;
    } catch (IOException e) {
      log.error("{}: cannot write {}", destination.store(), partial, e);
      refuse(HttpResponseStatus.INSUFFICIENT_STORAGE, destination.store() + " cannot take it now");
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
        if (received > destination.maxBytes()) {
          discardUpload();
          refuse(
              HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
              "body: more than the "
                  + destination.maxBytes()
                  + " bytes "
                  + destination.store()
                  + " takes");
        } else if (received > destination.roomBytes()) {
          discardUpload();
          refuse(HttpResponseStatus.INSUFFICIENT_STORAGE, full());
        }
      }
    } catch (IOException e) {
      log.error("{}: writing {} failed", destination.store(), partial, e);
      discardUpload();
      refuse(HttpResponseStatus.INSUFFICIENT_STORAGE, destination.store() + " cannot take it now");
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
      // Nothing of a refused upload is left once the client hears of it.
      discardUpload();
      Responses.text(ctx, request, refusedWith, refusal + "\n");
      return;
    }
    if (upload == null) {
      read(ctx, request);
      return;
    }
    String sha256 = HexFormat.of().formatHex(digest.digest());
    try {
      upload.force(true);
      upload.close();
      upload = null;
      Path done = partial;
      partial = null;
      try {
        complete(ctx, request, done, sha256, received);
      } catch (IOException | RuntimeException e) {
        Files.deleteIfExists(done);
        throw e;
      }
    } catch (IOException e) {
      log.error("{}: keeping an upload failed", destination.store(), e);
      discardUpload();
      Responses.text(
          ctx,
          request,
          HttpResponseStatus.INSUFFICIENT_STORAGE,
          destination.store() + " cannot keep it\n");
    }
  }

  private String full() {
    return destination.store()
        + " is full: "
        + destination.roomBytes()
        + " bytes are left of its quota";
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
      log.warn("cannot remove {}", partial, e);
    }
    upload = null;
    partial = null;
  }

  private void reset() {
    discardUpload();
    head = null;
    destination = null;
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
}
