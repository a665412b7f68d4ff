package io.osdeploy.daemon.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.ArrayDeque;

/**
 * Times each request on a connection, from its head arriving to its response's last byte written
 * (for a download, the transfer), and tells {@link HttpEndpoints.RequestTimes}. Responses come in
 * the order of their requests; an interim one (100 Continue) is not the answer. One instance per
 * connection; at most {@link #MAX_PENDING} requests wait for their answer, older ones are dropped.
 */
final class RequestTimer extends ChannelDuplexHandler {
  static final int MAX_PENDING = 16;

  private record Pending(String path, long startNanos) {}

  private final HttpEndpoints.RequestTimes times;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private int status;

  RequestTimer(HttpEndpoints.RequestTimes times) {
    this.times = times;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (msg instanceof HttpRequest request) {
      String path;
      try {
        path = new QueryStringDecoder(request.uri()).path();
      } catch (IllegalArgumentException e) {
        path = "";
      }
      if (pending.size() == MAX_PENDING) {
        pending.removeFirst();
      }
      pending.addLast(new Pending(path, System.nanoTime()));
    }
    super.channelRead(ctx, msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise)
      throws Exception {
    if (msg instanceof HttpResponse response) {
      status = response.status().code();
    }
    if (msg instanceof LastHttpContent && status >= 200 && !pending.isEmpty()) {
      Pending p = pending.removeFirst();
      int answered = status;
      promise = promise.unvoid();
      promise.addListener(
          f -> times.served(p.path(), answered, System.nanoTime() - p.startNanos()));
    }
    super.write(ctx, msg, promise);
  }
}
