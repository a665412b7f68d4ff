package io.osdeploy.daemon.pxe;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProxyDhcpResponderTest {
  private static final String KNOWN = "52:54:00:00:00:01";
  private ProxyDhcpResponder responder;
  private DatagramSocket client;

  @BeforeEach
  void start() throws Exception {
    responder =
        new ProxyDhcpResponder(
            new ProxyDhcpSettings(DhcpPacket.address(new byte[] {127, 0, 0, 1}), 9080, false),
            (mac, uuid) -> mac.equals(KNOWN));
    responder.start("127.0.0.1", 0, 0);
    client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
    client.setSoTimeout(5000);
  }

  @AfterEach
  void stop() {
    client.close();
    responder.close();
  }

  @Test
  void answersARequestOnThePxePortAndCountsIt() throws Exception {
    send(PxeRequests.request(KNOWN, DhcpOption.REQUEST, 0, true, null).encode());
    DhcpPacket ack = DhcpPacket.decode(receive());

    assertEquals(DhcpOption.ACK, ack.messageType().getAsInt());
    assertEquals(DhcpPacket.ZERO, ack.yiaddr());
    assertEquals(
        "http://127.0.0.1:9080/v1/boot.ipxe?mac=${net0/mac:hexhyp}&uuid=${uuid}", ack.file());
    // Counted once the send completes, which may be just after the client has the reply.
    await().until(() -> responder.metrics().acks() == 1);
  }

  @Test
  void countsMalformedAndRefusedPacketsAndKeepsServing() throws Exception {
    byte[] bad = PxeRequests.request(KNOWN, DhcpOption.REQUEST, 0, false, null).encode();
    bad[236] = 0;
    send(bad);
    send(Arrays.copyOf(bad, 100));
    send(PxeRequests.request("52:54:00:00:00:77", DhcpOption.REQUEST, 0, false, null).encode());
    send(PxeRequests.request(KNOWN, DhcpOption.REQUEST, 7, false, null).encode());

    DhcpPacket ack = DhcpPacket.decode(receive());
    assertEquals("snponly.efi", ack.file());
    // The one answer came after the three dropped packets, all on one event loop.
    await().until(() -> responder.metrics().acks() == 1);
    ProxyDhcpMetrics m = responder.metrics();
    assertEquals(2, m.malformed());
    assertEquals(1, m.refusedUnknownMachine());
    assertEquals(1, m.acks());
    assertEquals(0, m.offers());
  }

  private void send(byte[] data) throws Exception {
    client.send(new DatagramPacket(data, data.length, InetAddress.getLoopbackAddress(), pxePort()));
  }

  private int pxePort() {
    return responder.pxeAddress().getPort();
  }

  private byte[] receive() throws Exception {
    byte[] buf = new byte[1500];
    DatagramPacket p = new DatagramPacket(buf, buf.length);
    client.receive(p);
    return Arrays.copyOf(buf, p.getLength());
  }
}
