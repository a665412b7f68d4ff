package io.osdeploy.operator.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * Forwards TCP connections from an address on a test network to a local port: how a node in a
 * network namespace reaches the test's API server, which listens on loopback.
 */
public final class TcpRelay implements AutoCloseable {
  private final ServerSocket server;
  private final InetSocketAddress target;

  public TcpRelay(String listenHost, InetSocketAddress target) throws IOException {
    this.server = new ServerSocket();
    this.server.bind(new InetSocketAddress(listenHost, 0));
    this.target = target;
    Thread accept = new Thread(this::accept, "tcp-relay-" + port());
    accept.setDaemon(true);
    accept.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket in = server.accept();
        Socket out = new Socket();
        out.connect(target, 5_000);
        pump(in, out);
        pump(out, in);
      } catch (IOException e) {
        // closed, or one connection failed: the client sees a reset and retries
      }
    }
  }

  private static void pump(Socket from, Socket to) {
    Thread t =
        new Thread(
            () -> {
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
              } catch (IOException e) {
                // the other direction notices too
              } finally {
                try {
                  from.close();
                  to.close();
                } catch (IOException ignored) {
                  // nothing left to do
                }
              }
            },
            "tcp-relay-pump");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
