package io.osdeploy.daemon.pxe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.daemon.pxe.MalformedPacketException.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DhcpPacketTest {

  @Test
  void roundTripKeepsHeaderAndPxeOptions() throws Exception {
    DhcpPacket discover = PxeRequests.discover("52:54:00:12:34:56", 7, true);
    DhcpPacket decoded = DhcpPacket.decode(discover.encode());

    assertEquals(DhcpPacket.BOOTREQUEST, decoded.op());
    assertEquals(0x1234abcd, decoded.xid());
    assertEquals(DhcpPacket.FLAG_BROADCAST, decoded.flags());
    assertEquals("52:54:00:12:34:56", decoded.mac().orElseThrow());
    assertEquals(DhcpOption.DISCOVER, decoded.messageType().getAsInt());
    assertEquals(discover.options().keySet(), decoded.options().keySet());
    for (int code : discover.options().keySet()) {
      assertArrayEquals(
          discover.options().get(code), decoded.options().get(code), "option " + code);
    }
    assertEquals("PXEClient:Arch:00007:UNDI:003016", decoded.optionString(60).orElseThrow());
  }

  @Test
  void roundTripKeepsAddressesAndNames() throws Exception {
    Map<Integer, byte[]> options = new LinkedHashMap<>();
    options.put(DhcpOption.MESSAGE_TYPE, new byte[] {DhcpOption.ACK});
    options.put(DhcpOption.BOOTFILE_NAME, "undionly.kpxe".getBytes(StandardCharsets.US_ASCII));
    DhcpPacket ack =
        new DhcpPacket(
            2,
            1,
            6,
            0,
            -5,
            3,
            0,
            addr(10, 0, 0, 7),
            DhcpPacket.ZERO,
            addr(10, 0, 0, 2),
            addr(10, 9, 9, 1),
            new byte[] {1, 2, 3, 4, 5, 6},
            "10.0.0.2",
            "undionly.kpxe",
            options);
    byte[] wire = ack.encode();
    assertTrue(wire.length >= 300, "padded to the BOOTP minimum");

    DhcpPacket decoded = DhcpPacket.decode(wire);
    assertEquals(-5, decoded.xid());
    assertEquals(3, decoded.secs());
    assertEquals(addr(10, 0, 0, 7), decoded.ciaddr());
    assertEquals(DhcpPacket.ZERO, decoded.yiaddr());
    assertEquals(addr(10, 0, 0, 2), decoded.siaddr());
    assertEquals(addr(10, 9, 9, 1), decoded.giaddr());
    assertEquals("10.0.0.2", decoded.sname());
    assertEquals("undionly.kpxe", decoded.file());
    assertArrayEquals(wire, decoded.encode());
  }

  @Test
  void longOptionIsSplitAndJoinedAgain() throws Exception {
    byte[] big = new byte[600];
    Arrays.fill(big, (byte) 'x');
    DhcpPacket p = withOptions(Map.of(DhcpOption.BOOTFILE_NAME, big));
    assertArrayEquals(big, DhcpPacket.decode(p.encode()).option(67).orElseThrow());
  }

  @Test
  void rejectsTruncatedPacket() {
    byte[] wire = Arrays.copyOf(PxeRequests.discover("52:54:00:00:00:01", 0, false).encode(), 239);
    assertEquals(Reason.TRUNCATED, reason(wire));
  }

  @Test
  void rejectsBadMagicCookie() {
    byte[] wire = PxeRequests.discover("52:54:00:00:00:01", 0, false).encode();
    wire[236] = 0x64;
    MalformedPacketException e = assertThrows(MalformedPacketException.class, () -> decode(wire));
    assertEquals(Reason.BAD_MAGIC_COOKIE, e.reason());
    assertTrue(e.getMessage().startsWith("magic cookie"), e.getMessage());
  }

  @Test
  void rejectsOptionOverrunningThePacket() {
    byte[] head = Arrays.copyOf(withOptions(Map.of()).encode(), 240);
    ByteBuffer wire = ByteBuffer.allocate(246).put(head);
    wire.put((byte) 60).put((byte) 20).put("PXEC".getBytes(StandardCharsets.US_ASCII));
    MalformedPacketException e =
        assertThrows(MalformedPacketException.class, () -> decode(wire.array()));
    assertEquals(Reason.OPTION_OVERRUN, e.reason());
    assertTrue(e.getMessage().startsWith("option 60"), e.getMessage());
  }

  @Test
  void rejectsOptionWithoutLengthByte() {
    byte[] head = Arrays.copyOf(withOptions(Map.of()).encode(), 241);
    head[240] = 53;
    assertEquals(Reason.OPTION_OVERRUN, reason(head));
  }

  @Test
  void rejectsOversizedPacket() {
    byte[] wire = Arrays.copyOf(withOptions(Map.of()).encode(), DhcpPacket.MAX_LENGTH + 1);
    assertEquals(Reason.OVERSIZED, reason(wire));
  }

  @Test
  void rejectsUnknownOp() {
    byte[] wire = withOptions(Map.of()).encode();
    wire[0] = 3;
    assertEquals(Reason.BAD_FIELD, reason(wire));
  }

  @Test
  void padAndEndEndTheOptions() throws Exception {
    byte[] head = Arrays.copyOf(withOptions(Map.of()).encode(), 240);
    byte[] wire = Arrays.copyOf(head, 250);
    wire[240] = 0;
    wire[241] = 53;
    wire[242] = 1;
    wire[243] = 1;
    wire[244] = (byte) 255;
    wire[245] = 99; // after END: ignored
    DhcpPacket p = DhcpPacket.decode(wire);
    assertEquals(1, p.messageType().getAsInt());
    assertEquals(1, p.options().size());
  }

  private static DhcpPacket withOptions(Map<Integer, byte[]> options) {
    return new DhcpPacket(
        1, 1, 6, 0, 1, 0, 0, null, null, null, null, new byte[6], "", "", options);
  }

  private static Reason reason(byte[] wire) {
    return assertThrows(MalformedPacketException.class, () -> decode(wire)).reason();
  }

  private static void decode(byte[] wire) throws MalformedPacketException {
    DhcpPacket.decode(wire);
  }

  private static java.net.Inet4Address addr(int a, int b, int c, int d) {
    return DhcpPacket.address(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
  }
}
