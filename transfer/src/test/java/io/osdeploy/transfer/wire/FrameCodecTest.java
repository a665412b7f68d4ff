package io.osdeploy.transfer.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/** Header validation, authentication and replay protection of whole datagrams. */
class FrameCodecTest {
  private static final byte[] BLOCK = new byte[1400];

  /** A DATA datagram from the sender with sequence {@code seq}. */
  private static ByteBuf validData(long seq) {
    SessionCodec sender = new SessionCodec(CodecFixtures.keys(), CodecFixtures.SESSION, 0, false);
    ByteBuf encoded =
        sender.encode(
            UnpooledByteBufAllocator.DEFAULT, new DataBlock(0, 3, Unpooled.wrappedBuffer(BLOCK)));
    try {
      Frame frame = new FrameCodec(CodecFixtures.keys()).decode(encoded, CodecFixtures.SESSION);
      byte[] payload = io.netty.buffer.ByteBufUtil.getBytes(frame.payload());
      frame.payload().release();
      return CodecFixtures.frame(MessageType.DATA, 0, seq, payload);
    } catch (DecodeException e) {
      throw new AssertionError(e);
    } finally {
      encoded.release();
    }
  }

  private static SessionCodec receiver() {
    return new SessionCodec(CodecFixtures.keys(), CodecFixtures.SESSION, 9, false);
  }

  private static DecodeException.Reason rejection(SessionCodec codec, ByteBuf datagram) {
    return assertThrows(DecodeException.class, () -> codec.decode(datagram)).reason();
  }

  @Test
  void aFullSizeDataDatagramFitsOneEthernetFrame() {
    ByteBuf d = validData(1);
    try {
      assertTrue(d.readableBytes() + WireFormat.IP_UDP_OVERHEAD <= 1500);
      assertEquals(1404, WireFormat.MAX_BLOCK_SIZE);
    } finally {
      d.release();
    }
  }

  @Test
  void everyFlippedBitIsRejected() {
    ByteBuf original = validData(1);
    try {
      for (int bit = 0; bit < original.readableBytes() * 8; bit++) {
        ByteBuf copy = original.copy();
        copy.setByte(bit / 8, copy.getByte(bit / 8) ^ (1 << (bit % 8)));
        try {
          DecodeException.Reason r = rejection(receiver(), copy);
          if (bit / 8 >= WireFormat.HEADER_BYTES) {
            assertEquals(
                DecodeException.Reason.AUTHENTICATION_FAILED, r, "payload/trailer bit " + bit);
          }
        } finally {
          copy.release();
        }
      }
    } finally {
      original.release();
    }
  }

  @Test
  void wrongKeyFailsAuthentication() {
    ByteBuf d = validData(1);
    try {
      SessionCodec other =
          new SessionCodec(
              SessionKeys.fromSecret(CodecFixtures.secret(8)), CodecFixtures.SESSION, 9, false);
      assertEquals(DecodeException.Reason.AUTHENTICATION_FAILED, rejection(other, d));
      assertEquals(1, other.rejected(DecodeException.Reason.AUTHENTICATION_FAILED));
    } finally {
      d.release();
    }
  }

  @Test
  void encryptedDatagramWithWrongKeyFailsAuthentication() {
    SessionCodec sender = new SessionCodec(CodecFixtures.keys(), CodecFixtures.SESSION, 0, true);
    ByteBuf d = sender.encode(UnpooledByteBufAllocator.DEFAULT, new PassEnd(1, 2));
    try {
      SessionCodec other =
          new SessionCodec(
              SessionKeys.fromSecret(CodecFixtures.secret(8)), CodecFixtures.SESSION, 9, true);
      assertEquals(DecodeException.Reason.AUTHENTICATION_FAILED, rejection(other, d));
    } finally {
      d.release();
    }
  }

  @Test
  void replayedSequenceIsRejected() throws DecodeException {
    SessionCodec codec = receiver();
    ByteBuf d = validData(1);
    try {
      codec.decode(d).release();
      assertEquals(DecodeException.Reason.REPLAYED, rejection(codec, d));
      assertEquals(1, codec.rejected(DecodeException.Reason.REPLAYED));
    } finally {
      d.release();
    }
  }

  @Test
  void oldSequenceOutsideTheWindowIsRejectedButReorderedOneIsNot() throws DecodeException {
    SessionCodec codec = receiver();
    ByteBuf old = validData(1);
    ByteBuf reordered = validData(ReplayWindow.SIZE);
    ByteBuf newest = validData(ReplayWindow.SIZE + 1);
    try {
      codec.decode(newest).release();
      codec.decode(reordered).release();
      assertEquals(DecodeException.Reason.REPLAYED, rejection(codec, old));
    } finally {
      old.release();
      reordered.release();
      newest.release();
    }
  }

  @Test
  void everyTruncationIsRejectedWithoutCrashing() {
    ByteBuf d = validData(1);
    try {
      for (int length = 0; length < d.readableBytes(); length++) {
        ByteBuf cut = d.retainedSlice(0, length);
        try {
          DecodeException.Reason r = rejection(receiver(), cut);
          assertTrue(
              EnumSet.of(DecodeException.Reason.TRUNCATED).contains(r), length + " bytes: " + r);
        } finally {
          cut.release();
        }
      }
    } finally {
      d.release();
    }
  }

  @Test
  void extraTrailingBytesAreRejected() {
    ByteBuf d = validData(1);
    try {
      d.writeByte(0);
      assertEquals(DecodeException.Reason.BAD_LENGTH, rejection(receiver(), d));
    } finally {
      d.release();
    }
  }

  @Test
  void oversizedPayloadLengthIsRejected() {
    ByteBuf d = Unpooled.buffer(WireFormat.HEADER_BYTES + 1500 + 16);
    try {
      header(d, 1, MessageType.DATA.code(), 0, 0, 1500);
      d.writeZero(1500 + 16);
      assertEquals(DecodeException.Reason.BAD_LENGTH, rejection(receiver(), d));
    } finally {
      d.release();
    }
  }

  @Test
  void headerFieldsAreValidatedBeforeAuthentication() {
    assertHeaderRejected(WireFormat.MAGIC + 1, 1, 2, 0, 0, DecodeException.Reason.BAD_MAGIC);
    assertHeaderRejected(WireFormat.MAGIC, 2, 2, 0, 0, DecodeException.Reason.BAD_VERSION);
    assertHeaderRejected(WireFormat.MAGIC, 1, 0, 0, 0, DecodeException.Reason.UNKNOWN_TYPE);
    assertHeaderRejected(WireFormat.MAGIC, 1, 8, 0, 0, DecodeException.Reason.UNKNOWN_TYPE);
    assertHeaderRejected(WireFormat.MAGIC, 1, 2, 2, 0, DecodeException.Reason.BAD_FIELD);
    assertHeaderRejected(WireFormat.MAGIC, 1, 2, 0, 1, DecodeException.Reason.BAD_FIELD);
  }

  @Test
  void otherSessionIsRejected() {
    ByteBuf d = validData(1);
    try {
      SessionCodec other =
          new SessionCodec(CodecFixtures.keys(), CodecFixtures.SESSION + 1, 9, false);
      assertEquals(DecodeException.Reason.WRONG_SESSION, rejection(other, d));
    } finally {
      d.release();
    }
  }

  @Test
  void pooledBuffersAreReleasedOnEveryPath() throws DecodeException {
    // No thread caches, so every release shows up in the arena's counters.
    PooledByteBufAllocator alloc = new PooledByteBufAllocator(false, 1, 0, 8192, 9, 0, 0, false);
    SessionCodec sender = new SessionCodec(CodecFixtures.keys(), CodecFixtures.SESSION, 0, true);
    SessionCodec receiver = new SessionCodec(CodecFixtures.keys(), CodecFixtures.SESSION, 9, true);
    ByteBuf good = sender.encode(alloc, new DataBlock(0, 1, Unpooled.wrappedBuffer(BLOCK)));
    receiver.decode(good).release();
    assertEquals(DecodeException.Reason.REPLAYED, rejection(receiver, good));
    ByteBuf cut = good.retainedSlice(0, 40);
    assertEquals(DecodeException.Reason.TRUNCATED, rejection(receiver, cut));
    cut.release();
    good.release();
    assertEquals(0, good.refCnt());
    assertEquals(0, countActive(alloc));
  }

  private static long countActive(PooledByteBufAllocator alloc) {
    return alloc.metric().heapArenas().stream().mapToLong(a -> a.numActiveAllocations()).sum();
  }

  private static void assertHeaderRejected(
      int magic, int version, int type, int flags, int reserved, DecodeException.Reason reason) {
    ByteBuf d = Unpooled.buffer();
    try {
      d.writeInt(magic).writeByte(version).writeByte(type).writeShort(flags);
      d.writeInt(CodecFixtures.SESSION).writeInt(0).writeLong(1).writeShort(4).writeShort(reserved);
      d.writeZero(4 + 16);
      assertEquals(reason, rejection(receiver(), d));
    } finally {
      d.release();
    }
  }

  private static void header(ByteBuf d, int version, int type, int flags, int reserved, int len) {
    d.writeInt(WireFormat.MAGIC).writeByte(version).writeByte(type).writeShort(flags);
    d.writeInt(CodecFixtures.SESSION).writeInt(0).writeLong(1).writeShort(len).writeShort(reserved);
  }
}
