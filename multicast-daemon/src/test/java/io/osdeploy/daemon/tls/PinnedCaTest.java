package io.osdeploy.daemon.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.osdeploy.daemon.http.TlsMaterial;
import io.osdeploy.daemon.testing.OpensslCa;
import io.osdeploy.daemon.testing.Prerequisites;
import io.osdeploy.transfer.tls.PinnedCa;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PinnedCaTest {
  @TempDir Path dir;
  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

  @BeforeAll
  static void openssl() {
    Prerequisites.require(OpensslCa.available(), "openssl (Debian package openssl)");
  }

  @AfterEach
  void stop() {
    group.shutdownGracefully().syncUninterruptibly();
  }

  @Test
  void trustsAServerOfThePinnedCaAndNoOther() throws Exception {
    OpensslCa site = OpensslCa.create(dir.resolve("site"), "site CA");
    OpensslCa other = OpensslCa.create(dir.resolve("other"), "other CA");
    int good = serve(site.issue(dir.resolve("good"), "127.0.0.1"));
    int bad = serve(other.issue(dir.resolve("bad"), "127.0.0.1"));
    String pin = PinnedCa.fingerprint(TlsMaterial.load(dir.resolve("good")).chain().get(1));

    HttpClient client = HttpClient.newBuilder().sslContext(PinnedCa.context(pin)).build();
    assertEquals(200, get(client, "https://127.0.0.1:" + good).statusCode());
    assertThrows(SSLHandshakeException.class, () -> get(client, "https://127.0.0.1:" + bad));

    // Colons and upper case name the same CA.
    String spelled = pin.toUpperCase().replaceAll("(..)(?!$)", "$1:");
    HttpClient colons = HttpClient.newBuilder().sslContext(PinnedCa.context(spelled)).build();
    assertEquals(200, get(colons, "https://127.0.0.1:" + good).statusCode());
  }

  @Test
  void checksTheHostName() throws Exception {
    OpensslCa site = OpensslCa.create(dir.resolve("site"), "site CA");
    int port = serve(site.issue(dir.resolve("elsewhere"), "127.0.0.2"));
    String pin = PinnedCa.fingerprint(TlsMaterial.load(dir.resolve("elsewhere")).chain().get(1));
    HttpClient client = HttpClient.newBuilder().sslContext(PinnedCa.context(pin)).build();
    SSLHandshakeException e =
        assertThrows(SSLHandshakeException.class, () -> get(client, "https://127.0.0.1:" + port));
    assertTrue(String.valueOf(e.getMessage()).contains("127.0.0.1"), e.getMessage());
  }

  @Test
  void refusesWhatIsNoFingerprint() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> PinnedCa.context("abc"));
    assertTrue(e.getMessage().contains("abc"));
  }

  private static HttpResponse<String> get(HttpClient client, String url) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(url + "/")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** An HTTPS server on 127.0.0.1 answering 200 with the certificate in {@code tls}. */
  private int serve(Path tls) throws Exception {
    var context = TlsMaterial.load(tls).context();
    Channel channel =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(context.newHandler(ch.alloc()))
                        .addLast(new HttpServerCodec())
                        .addLast(new HttpObjectAggregator(1024))
                        .addLast(
                            new SimpleChannelInboundHandler<FullHttpRequest>() {
                              @Override
                              protected void channelRead0(
                                  ChannelHandlerContext ctx, FullHttpRequest request) {
                                var response =
                                    new DefaultFullHttpResponse(
                                        HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                                response.headers().set("content-length", 0);
                                ctx.writeAndFlush(response);
                              }
                            });
                  }
                })
            .bind("127.0.0.1", 0)
            .sync()
            .channel();
    return ((java.net.InetSocketAddress) channel.localAddress()).getPort();
  }
}
