package io.osdeploy.transfer.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every message type round-trips, and every malformed payload is rejected with a reason. */
class MessageCodecTest {
  private static final UnpooledByteBufAllocator ALLOC = UnpooledByteBufAllocator.DEFAULT;

  @ParameterizedTest
  @MethodSource("io.osdeploy.transfer.wire.CodecFixtures#messages")
  void roundTripsPlain(Message m) throws DecodeException {
    assertRoundTrip(m, false);
  }

  @ParameterizedTest
  @MethodSource("io.osdeploy.transfer.wire.CodecFixtures#messages")
  void roundTripsEncrypted(Message m) throws DecodeException {
    assertRoundTrip(m, true);
  }

  private static void assertRoundTrip(Message m, boolean encrypted) throws DecodeException {
    long before = System.currentTimeMillis() << 20;
    SessionCodec sender = CodecFixtures.sender(encrypted);
    SessionCodec receiver = CodecFixtures.receiver(9, encrypted);
    ByteBuf datagram = sender.encode(ALLOC, m);
    try {
      SessionCodec.Received in = receiver.decode(datagram);
      try {
        assertEquals(m.type(), in.header().type());
        assertEquals(encrypted, in.header().encrypted());
        long after = (System.currentTimeMillis() << 20) + 1;
        assertTrue(
            in.header().sequence() > before && in.header().sequence() <= after,
            "the first sequence is the sender's clock: " + in.header().sequence());
        assertEquals(normalize(m), normalize(in.message()));
      } finally {
        in.release();
      }
      // A payload, plain or decrypted in place, is a retained slice of the datagram: back to 1
      // means it was released.
      assertEquals(1, datagram.refCnt(), "decode neither leaks nor releases its input");
    } finally {
      datagram.release();
    }
  }

  /** Records with ByteBuf fields compare by identity; compare their bytes instead. */
  private static Object normalize(Message m) {
    if (m instanceof DataBlock d) {
      return List.of(d.pass(), d.block(), ByteBufUtil.hexDump(d.data()));
    }
    if (m instanceof ParityBlock p) {
      return List.of(p.pass(), p.row(), p.group(), ByteBufUtil.hexDump(p.data()));
    }
    return m;
  }

  @Test
  void encryptedPayloadHidesTheBlockBytes() {
    SessionCodec sender = CodecFixtures.sender(true);
    byte[] plain = "secret image bytes secret image bytes".getBytes(StandardCharsets.US_ASCII);
    ByteBuf datagram = sender.encode(ALLOC, new DataBlock(0, 1, Unpooled.wrappedBuffer(plain)));
    try {
      String wire = new String(ByteBufUtil.getBytes(datagram), StandardCharsets.ISO_8859_1);
      assertFalse(wire.contains("secret image"));
    } finally {
      datagram.release();
    }
  }

  @Test
  void plaintextDataIsRejectedInAnEncryptedSession() {
    SessionCodec receiver = CodecFixtures.receiver(9, true);
    ByteBuf datagram =
        CodecFixtures.frame(MessageType.DATA, 0, 1, new byte[] {0, 0, 0, 0, 0, 0, 0, 1, 9});
    try {
      DecodeException e = assertThrows(DecodeException.class, () -> receiver.decode(datagram));
      assertEquals(DecodeException.Reason.BAD_FIELD, e.reason());
      assertEquals(1, receiver.rejected(DecodeException.Reason.BAD_FIELD));
    } finally {
      datagram.release();
    }
  }

  static Stream<Arguments> malformedPayloads() {
    byte[] name = "x".getBytes(StandardCharsets.UTF_8);
    return Stream.of(
        bad(
            "announce shorter than its fixed part",
            MessageType.ANNOUNCE,
            new byte[54],
            "TRUNCATED"),
        bad(
            "announce name longer than the datagram",
            MessageType.ANNOUNCE,
            announce(100, 1400, 256, 1, 5, name),
            "TRUNCATED"),
        bad(
            "announce with trailing bytes",
            MessageType.ANNOUNCE,
            concat(announce(100, 1400, 256, 1, 1, name), new byte[1]),
            "BAD_LENGTH"),
        bad(
            "announce block size 0",
            MessageType.ANNOUNCE,
            announce(100, 0, 256, 1, 1, name),
            "BAD_FIELD"),
        bad(
            "announce block size above the MTU limit",
            MessageType.ANNOUNCE,
            announce(100, 1405, 256, 1, 1, name),
            "BAD_FIELD"),
        bad(
            "announce blocks per section not a multiple of 8",
            MessageType.ANNOUNCE,
            announce(100, 10, 12, 1, 1, name),
            "BAD_FIELD"),
        bad(
            "announce blocks per section above 1024",
            MessageType.ANNOUNCE,
            announce(100, 10, 1032, 1, 1, name),
            "BAD_FIELD"),
        bad(
            "announce empty file",
            MessageType.ANNOUNCE,
            announce(0, 10, 8, 0, 1, name),
            "BAD_FIELD"),
        bad(
            "announce negative file size",
            MessageType.ANNOUNCE,
            announce(-5, 10, 8, 1, 1, name),
            "BAD_FIELD"),
        bad(
            "announce wrong section count",
            MessageType.ANNOUNCE,
            announce(100, 10, 8, 3, 1, name),
            "BAD_FIELD"),
        bad(
            "announce name not UTF-8",
            MessageType.ANNOUNCE,
            announce(100, 10, 8, 2, 1, new byte[] {(byte) 0xC3}),
            "BAD_FIELD"),
        bad("data with no block bytes", MessageType.DATA, new byte[8], "TRUNCATED"),
        bad("data shorter than its fields", MessageType.DATA, new byte[3], "TRUNCATED"),
        bad(
            "data with reserved bits",
            MessageType.DATA,
            new byte[] {0, 0, 0, 1, 0, 0, 0, 0, 5},
            "BAD_FIELD"),
        bad(
            "data block above the max block size",
            MessageType.DATA,
            new byte[8 + 1405],
            "BAD_LENGTH"),
        bad(
            "parity block above the max block size",
            MessageType.PARITY,
            new byte[8 + 1405],
            "BAD_LENGTH"),
        bad(
            "parity group out of range",
            MessageType.PARITY,
            new byte[] {0, 0, 0, 0, (byte) 0xFF, 0, 0, 0, 1},
            "BAD_FIELD"),
        bad("nak shorter than its fields", MessageType.NAK, new byte[7], "TRUNCATED"),
        bad("nak bitmap of 0 bytes", MessageType.NAK, nak(0, 1, 4, new byte[0]), "BAD_FIELD"),
        bad(
            "nak bitmap of 129 bytes",
            MessageType.NAK,
            nak(129, 1, 4 + 129, new byte[0]),
            "BAD_FIELD"),
        bad("nak with no sections", MessageType.NAK, nak(1, 0, 0, new byte[0]), "BAD_FIELD"),
        bad("nak cut short", MessageType.NAK, nak(1, 2, 5, new byte[] {1}), "TRUNCATED"),
        bad("nak with trailing bytes", MessageType.NAK, nak(1, 1, 6, new byte[] {1}), "BAD_LENGTH"),
        bad(
            "nak section without missing blocks",
            MessageType.NAK,
            nak(1, 1, 5, new byte[] {0}),
            "BAD_FIELD"),
        bad(
            "nak sections out of order",
            MessageType.NAK,
            nakSections(new long[] {5, 5}),
            "BAD_FIELD"),
        bad(
            "nak reserved bits",
            MessageType.NAK,
            new byte[] {0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 1},
            "BAD_FIELD"),
        bad("pass end too short", MessageType.PASS_END, new byte[7], "TRUNCATED"),
        bad("pass end too long", MessageType.PASS_END, new byte[9], "BAD_LENGTH"),
        bad(
            "pass end reserved bits",
            MessageType.PASS_END,
            new byte[] {0, 1, 0, 1, 0, 0, 0, 0},
            "BAD_FIELD"),
        bad("status state 0", MessageType.STATUS, new byte[12], "BAD_FIELD"),
        bad("status state 6", MessageType.STATUS, statusOf(6), "BAD_FIELD"),
        bad("status too short", MessageType.STATUS, new byte[11], "TRUNCATED"),
        bad(
            "session end unknown reason",
            MessageType.SESSION_END,
            new byte[] {9, 0, 0, 0},
            "BAD_FIELD"),
        bad(
            "session end too long",
            MessageType.SESSION_END,
            new byte[] {1, 0, 0, 0, 0},
            "BAD_LENGTH"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedPayloads")
  void rejectsMalformedPayload(String what, MessageType type, byte[] payload, String reason) {
    SessionCodec receiver = CodecFixtures.receiver(9, false);
    ByteBuf datagram = CodecFixtures.frame(type, 0, 1, payload);
    try {
      DecodeException e = assertThrows(DecodeException.class, () -> receiver.decode(datagram));
      assertEquals(DecodeException.Reason.valueOf(reason), e.reason(), e.getMessage());
      assertEquals(1, datagram.refCnt());
    } finally {
      datagram.release();
    }
  }

  private static Arguments bad(String what, MessageType type, byte[] payload, String reason) {
    return Arguments.of(what, type, payload, reason);
  }

  private static byte[] announce(
      long size, int blockSize, int bps, long sections, int nameLength, byte[] name) {
    ByteBuffer b = ByteBuffer.allocate(55 + name.length);
    b.putLong(size).putShort((short) blockSize).putShort((short) bps).putInt((int) sections);
    b.putShort((short) 0).putInt(1000).put(CodecFixtures.SHA256).put((byte) nameLength).put(name);
    return b.array();
  }

  private static byte[] nak(int bitmapBytes, int count, int entryBytes, byte[] bitmap) {
    ByteBuffer b = ByteBuffer.allocate(8 + Math.max(entryBytes, 0));
    b.putShort((short) 0).putShort((short) bitmapBytes).putShort((short) count).putShort((short) 0);
    if (entryBytes >= 4) {
      b.putInt(0);
      b.put(bitmap, 0, Math.min(bitmap.length, entryBytes - 4));
    }
    return b.array();
  }

  private static byte[] nakSections(long[] sections) {
    ByteBuffer b = ByteBuffer.allocate(8 + sections.length * 5);
    b.putShort((short) 0).putShort((short) 1).putShort((short) sections.length).putShort((short) 0);
    for (long s : sections) {
      b.putInt((int) s).put((byte) 1);
    }
    return b.array();
  }

  private static byte[] statusOf(int state) {
    byte[] b = new byte[12];
    b[0] = (byte) state;
    return b;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void decodedAnnounceKeepsItsFields() throws DecodeException {
    Announce a = Announce.of(4L << 20, 1400, 256, 200_000, CodecFixtures.SHA256, "img");
    assertEquals(2996, a.blockCount());
    assertEquals(12, a.sectionCount());
    assertEquals((4 << 20) - 2995 * 1400, a.blockLength(2995));
    assertArrayEquals(CodecFixtures.SHA256, a.sha256());
    assertInstanceOf(Announce.class, a);
  }
}
