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
    SessionCodec sender = CodecFixtures.sender(false);
    ByteBuf encoded =
        sender.encode(
            UnpooledByteBufAllocator.DEFAULT, new DataBlock(0, 3, Unpooled.wrappedBuffer(BLOCK)));
    try {
      Frame frame = CodecFixtures.frameCodec().decode(encoded, CodecFixtures.SESSION);
      byte[] payload = io.netty.buffer.ByteBufUtil.getBytes(frame.payload());
      frame.payload().release();
      return CodecFixtures.frame(MessageType.DATA, 0, seq, payload);
    } catch (DecodeException e) {
      throw new AssertionError(e);
    } finally {
      encoded.release();
    }
  }

  /** A PASS_END, signed by the sender, with sequence {@code seq}. */
  private static ByteBuf validControl(long seq) {
    return CodecFixtures.frame(MessageType.PASS_END, 0, seq, new byte[] {0, 1, 0, 0, 0, 0, 0, 3});
  }

  private static SessionCodec receiver() {
    return CodecFixtures.receiver(9, false);
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
  void anEncryptedDatagramIsAuthenticatedByItsGcmTagAloneAndEveryFlippedBitIsRejected()
      throws DecodeException {
    SessionCodec sender = CodecFixtures.sender(true);
    ByteBuf original =
        sender.encode(
            UnpooledByteBufAllocator.DEFAULT, new DataBlock(0, 3, Unpooled.wrappedBuffer(BLOCK)));
    try {
      int payloadLength = original.getUnsignedShort(24);
      assertEquals(WireFormat.BLOCK_FIELDS_BYTES + BLOCK.length + 16, payloadLength);
      // Header and payload (ciphertext and tag), no HMAC trailer after them.
      assertEquals(WireFormat.HEADER_BYTES + payloadLength, original.readableBytes());
      for (int bit = 0; bit < original.readableBytes() * 8; bit++) {
        ByteBuf copy = original.copy();
        copy.setByte(bit / 8, copy.getByte(bit / 8) ^ (1 << (bit % 8)));
        try {
          DecodeException.Reason r = rejection(CodecFixtures.receiver(9, true), copy);
          if (bit / 8 >= WireFormat.HEADER_BYTES) {
            assertEquals(DecodeException.Reason.AUTHENTICATION_FAILED, r, "payload bit " + bit);
          }
        } finally {
          copy.release();
        }
      }
      SessionCodec.Received received = CodecFixtures.receiver(9, true).decode(original);
      try {
        assertEquals(MessageType.DATA, received.header().type());
        assertTrue(received.header().encrypted());
      } finally {
        received.release();
      }
    } finally {
      original.release();
    }
  }

  @Test
  void aReceiverCannotSendAnEncryptedDatagram() {
    ByteBuf d = Unpooled.buffer();
    try {
      d.writeInt(WireFormat.MAGIC).writeByte(WireFormat.VERSION).writeByte(4).writeShort(1);
      d.writeInt(CodecFixtures.SESSION).writeInt(9).writeLong(1).writeShort(20).writeShort(0);
      d.writeZero(20);
      assertEquals(DecodeException.Reason.BAD_FIELD, rejection(receiver(), d));
    } finally {
      d.release();
    }
  }

  @Test
  void wrongKeyFailsAuthentication() {
    ByteBuf d = validData(1);
    try {
      SessionCodec other = CodecFixtures.stranger(9, false);
      assertEquals(DecodeException.Reason.AUTHENTICATION_FAILED, rejection(other, d));
      assertEquals(1, other.rejected(DecodeException.Reason.AUTHENTICATION_FAILED));
    } finally {
      d.release();
    }
  }

  @Test
  void encryptedDatagramWithWrongKeyFailsAuthentication() {
    SessionCodec sender = CodecFixtures.sender(true);
    ByteBuf d = sender.encode(UnpooledByteBufAllocator.DEFAULT, new PassEnd(1, 2));
    try {
      SessionCodec other = CodecFixtures.stranger(9, true);
      assertEquals(DecodeException.Reason.AUTHENTICATION_FAILED, rejection(other, d));
    } finally {
      d.release();
    }
  }

  @Test
  void replayedSequenceIsRejected() throws DecodeException {
    SessionCodec codec = receiver();
    ByteBuf d = validControl(1);
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
    ByteBuf old = validControl(1);
    ByteBuf reordered = validControl(ReplayWindow.SIZE);
    ByteBuf newest = validControl(ReplayWindow.SIZE + 1);
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
    ByteBuf d = validControl(1);
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
    ByteBuf d = validControl(1);
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
      header(d, WireFormat.VERSION, MessageType.DATA.code(), 0, 0, 1500);
      d.writeZero(1500 + 16);
      assertEquals(DecodeException.Reason.BAD_LENGTH, rejection(receiver(), d));
    } finally {
      d.release();
    }
  }

  @Test
  void headerFieldsAreValidatedBeforeAuthentication() {
    int v = WireFormat.VERSION;
    assertHeaderRejected(WireFormat.MAGIC + 1, v, 2, 0, 0, DecodeException.Reason.BAD_MAGIC);
    // Version 1 had no signatures and no per-receiver keys: refused, not misread.
    assertHeaderRejected(WireFormat.MAGIC, 1, 2, 0, 0, DecodeException.Reason.BAD_VERSION);
    // Version 2 put an HMAC after the GCM tag: its encrypted datagrams would be misframed.
    assertHeaderRejected(WireFormat.MAGIC, 2, 2, 0, 0, DecodeException.Reason.BAD_VERSION);
    assertHeaderRejected(WireFormat.MAGIC, v, 0, 0, 0, DecodeException.Reason.UNKNOWN_TYPE);
    assertHeaderRejected(WireFormat.MAGIC, v, 8, 0, 0, DecodeException.Reason.UNKNOWN_TYPE);
    assertHeaderRejected(WireFormat.MAGIC, v, 2, 2, 0, DecodeException.Reason.BAD_FIELD);
    assertHeaderRejected(WireFormat.MAGIC, v, 2, 0, 1, DecodeException.Reason.BAD_FIELD);
  }

  @Test
  void aJoinedReceiverCannotMakeTheSendersControlMessages() {
    // It holds the shared key, so its forgery passes the HMAC; the signature is what it lacks.
    SenderSecrets impostor = SenderSecrets.generate(new java.security.SecureRandom());
    byte[] body = {0, 1, 0, 0, 0, 0, 0, 3};
    long seq = 5;
    byte[] signature =
        ControlSignature.sign(
            impostor.signing().getPrivate(),
            MessageType.PASS_END,
            CodecFixtures.SESSION,
            seq,
            body);
    byte[] forged = java.util.Arrays.copyOf(body, body.length + signature.length);
    System.arraycopy(signature, 0, forged, body.length, signature.length);
    ByteBuf wrongSigner = rawFrame(MessageType.PASS_END, 0, seq, forged);
    ByteBuf unsigned = rawFrame(MessageType.SESSION_END, 0, seq + 1, new byte[] {3, 0, 0, 1});
    SessionCodec codec = receiver();
    try {
      assertEquals(DecodeException.Reason.BAD_SIGNATURE, rejection(codec, wrongSigner));
      assertEquals(DecodeException.Reason.BAD_SIGNATURE, rejection(codec, unsigned));
      assertEquals(2, codec.rejected(DecodeException.Reason.BAD_SIGNATURE));
    } finally {
      wrongSigner.release();
      unsigned.release();
    }
  }

  @Test
  void aSignedControlMessageCannotBeSentAgainUnderANewSequence() {
    ByteBuf genuine = validControl(7);
    byte[] bytes = io.netty.buffer.ByteBufUtil.getBytes(genuine);
    genuine.release();
    // The sequence is in the header, and the signature covers it.
    java.nio.ByteBuffer.wrap(bytes).putLong(16, 8);
    ByteBuf moved =
        rawFrame(
            MessageType.PASS_END,
            0,
            8,
            java.util.Arrays.copyOfRange(
                bytes, WireFormat.HEADER_BYTES, bytes.length - WireFormat.TRAILER_BYTES));
    try {
      assertEquals(DecodeException.Reason.BAD_SIGNATURE, rejection(receiver(), moved));
    } finally {
      moved.release();
    }
  }

  @Test
  void aReceiverCannotSpeakForAnotherReceiver() throws DecodeException {
    SessionCodec sender = CodecFixtures.sender(false);
    SessionCodec nine = CodecFixtures.receiver(9, false);
    ByteBuf own =
        nine.encode(UnpooledByteBufAllocator.DEFAULT, new Status(Status.State.VERIFIED, 3, 0));
    sender.decode(own).release();
    own.release();
    // Receiver 9 frames a STATUS as source 10 with the only feedback key it has: its own.
    javax.crypto.spec.SecretKeySpec nineKey =
        new javax.crypto.spec.SecretKeySpec(
            CodecFixtures.SENDER.receiver(9).feedbackKey(), "HmacSHA256");
    FrameCodec asNine =
        new FrameCodec(SessionKeys.fromSecret(CodecFixtures.SENDER.groupSecret()), s -> nineKey);
    ByteBuf payload = Unpooled.wrappedBuffer(new byte[] {2, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0});
    ByteBuf forged =
        asNine.encode(
            UnpooledByteBufAllocator.DEFAULT,
            MessageType.STATUS,
            CodecFixtures.SESSION,
            10,
            System.currentTimeMillis() << 20,
            payload,
            false);
    payload.release();
    try {
      assertEquals(DecodeException.Reason.AUTHENTICATION_FAILED, rejection(sender, forged));
    } finally {
      forged.release();
    }
  }

  @Test
  void forgedDataWithAHugeSequenceDoesNotShutOutTheSender() throws DecodeException {
    SessionCodec codec = receiver();
    ByteBuf forged = validData(Long.MAX_VALUE - 1);
    ByteBuf genuine =
        CodecFixtures.sender(false).encode(UnpooledByteBufAllocator.DEFAULT, new PassEnd(0, 1));
    try {
      codec.decode(forged).release();
      codec.decode(genuine).release();
      assertEquals(0, codec.rejectedTotal());
    } finally {
      forged.release();
      genuine.release();
    }
  }

  /** A frame around {@code payload} as is: authenticated with the shared key, not signed. */
  private static ByteBuf rawFrame(MessageType type, int source, long seq, byte[] payload) {
    ByteBuf p = Unpooled.wrappedBuffer(payload);
    try {
      return CodecFixtures.frameCodec()
          .encode(
              UnpooledByteBufAllocator.DEFAULT, type, CodecFixtures.SESSION, source, seq, p, false);
    } finally {
      p.release();
    }
  }

  @Test
  void otherSessionIsRejected() {
    ByteBuf d = validData(1);
    try {
      SessionCodec other =
          SessionCodec.forReceiver(
              CodecFixtures.SENDER.receiver(9), CodecFixtures.SESSION + 1, 9, false);
      assertEquals(DecodeException.Reason.WRONG_SESSION, rejection(other, d));
    } finally {
      d.release();
    }
  }

  @Test
  void pooledBuffersAreReleasedOnEveryPath() throws DecodeException {
    // No thread caches, so every release shows up in the arena's counters.
    PooledByteBufAllocator alloc = new PooledByteBufAllocator(false, 1, 0, 8192, 9, 0, 0, false);
    SessionCodec sender = CodecFixtures.sender(true);
    SessionCodec receiver = CodecFixtures.receiver(9, true);
    ByteBuf good = sender.encode(alloc, new PassEnd(1, 2));
    // Decryption is in place: the replay is a copy of the datagram as it was on the wire.
    ByteBuf replay = alloc.buffer().writeBytes(good, good.readerIndex(), good.readableBytes());
    receiver.decode(good).release();
    assertEquals(DecodeException.Reason.REPLAYED, rejection(receiver, replay));
    replay.release();
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
