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
 * the order of their requests; an interim one (100 Continue) is not the answer, and a response
 * whose writing failed (the client went away) is not counted. One instance per connection; beyond
 * {@link #MAX_PENDING} requests waiting for their answers, the connection's timing stops.
 */
final class RequestTimer extends ChannelDuplexHandler {
  static final int MAX_PENDING = 16;

  private record Pending(String path, long startNanos) {}

  private final HttpEndpoints.RequestTimes times;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private int status;

  /** Set once more requests came than were answered: pairing them is no longer certain. */
  private boolean overflowed;

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
      if (pending.size() < MAX_PENDING) {
        pending.addLast(new Pending(path, System.nanoTime()));
      } else {
        overflowed = true;
      }
    }
    super.channelRead(ctx, msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise)
      throws Exception {
    if (msg instanceof HttpResponse response) {
      status = response.status().code();
    }
    if (msg instanceof LastHttpContent && status >= 200 && !pending.isEmpty() && !overflowed) {
      Pending p = pending.removeFirst();
      int answered = status;
      promise = promise.unvoid();
      promise.addListener(
          f -> {
            if (f.isSuccess()) {
              times.served(p.path(), answered, System.nanoTime() - p.startNanos());
            }
          });
    }
    super.write(ctx, msg, promise);
  }
}
