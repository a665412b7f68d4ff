package io.osdeploy.daemon.pxe;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The distribution point's side of {@link PxeBootNetnsTest}, run in its own network namespace
 * ({@code ip netns exec}): the proxyDHCP responder, the TFTP server and a stand-in for the daemon's
 * {@code /v1/boot.ipxe}. The first boot script a machine gets chains to {@code undionly.kpxe} over
 * TFTP, so that path is exercised too; the second one ends the boot. Events go to stdout, one per
 * line, for the test to read.
 *
 * <p>Arguments: server address, the MAC of the one machine a deployment targets, the TFTP
 * directory.
 */
public final class PxeNetnsServer {
  private PxeNetnsServer() {}

  public static void main(String[] args) throws Exception {
    String address = args[0];
    String targeted = args[1];
    int httpPort = 9080;
    ProxyDhcpResponder responder =
        new ProxyDhcpResponder(
            new ProxyDhcpSettings(
                DhcpPacket.address(java.net.InetAddress.getByName(address).getAddress()),
                httpPort,
                false),
            (mac, uuid) -> mac.equals(targeted));
    responder.start("0.0.0.0", ProxyDhcpResponder.DHCP_PORT, ProxyDhcpResponder.PXE_PORT);
    TftpSettings defaults = TftpSettings.debianIpxe();
    TftpServer tftp =
        new TftpServer(
            new TftpSettings(
                java.nio.file.Path.of(args[2]),
                defaults.files(),
                defaults.maxBlockSize(),
                defaults.maxWindowSize(),
                defaults.timeout(),
                defaults.retries(),
                defaults.maxFileBytes()));
    tftp.start("0.0.0.0", TftpServer.PORT);

    Map<String, Integer> boots = new ConcurrentHashMap<>();
    HttpServer http = HttpServer.create(new InetSocketAddress("0.0.0.0", httpPort), 16);
    http.createContext(
        "/v1/boot.ipxe",
        exchange -> {
          Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
          String mac = query.getOrDefault("mac", "");
          int n = boots.merge(mac, 1, Integer::sum);
          System.out.println("BOOT mac=" + mac + " uuid=" + query.get("uuid") + " n=" + n);
          String script =
              n == 1
                  ? "#!ipxe\necho osdeploy-e2e chaining undionly\nchain tftp://"
                      + address
                      + "/undionly.kpxe\n"
                  : "#!ipxe\necho osdeploy-e2e-booted\nsleep 600\n";
          byte[] body = script.getBytes(StandardCharsets.US_ASCII);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    http.start();
    System.out.println("READY");

    String last = "";
    while (true) {
      ProxyDhcpMetrics d = responder.metrics();
      TftpMetrics t = tftp.metrics();
      String line =
          "METRICS offers="
              + d.offers()
              + " acks="
              + d.acks()
              + " refusedUnknown="
              + d.refusedUnknownMachine()
              + " malformed="
              + d.malformed()
              + " tftpCompleted="
              + t.transfersCompleted()
              + " tftpStarted="
              + t.transfersStarted();
      if (!line.equals(last)) {
        System.out.println(line);
        last = line;
      }
      Thread.sleep(200);
    }
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw == null) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        out.put(
            pair.substring(0, eq),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return out;
  }
}
