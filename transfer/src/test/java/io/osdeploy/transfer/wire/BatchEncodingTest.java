package io.osdeploy.transfer.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The sender's batch encoding: many DATA datagrams back to back in one buffer, each of which a
 * receiver decodes on its own, as the kernel's UDP segmentation cuts them.
 */
class BatchEncodingTest {
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void datagramsEncodedIntoOneBufferDecodeOneByOne(boolean encrypted) throws DecodeException {
    SessionCodec sender = CodecFixtures.sender(encrypted);
    SessionCodec receiver = CodecFixtures.receiver(9, encrypted);
    byte[][] blocks = new byte[5][];
    Random random = new Random(5);
    ByteBuf batch = UnpooledByteBufAllocator.DEFAULT.directBuffer(5 * 1500);
    int[] lengths = new int[5];
    try {
      for (int i = 0; i < blocks.length; i++) {
        blocks[i] = new byte[i == 4 ? 700 : 1400]; // the last block of an image is shorter
        random.nextBytes(blocks[i]);
        lengths[i] =
            sender.encodeInto(batch, new DataBlock(2, 40 + i, Unpooled.wrappedBuffer(blocks[i])));
      }
      assertEquals(lengths[0], lengths[3], "equal blocks make equal datagrams");
      assertTrue(lengths[4] < lengths[0]);
      int at = 0;
      for (int i = 0; i < blocks.length; i++) {
        ByteBuf one = batch.retainedSlice(at, lengths[i]);
        at += lengths[i];
        SessionCodec.Received in = receiver.decode(one);
        try {
          assertEquals(encrypted, in.header().encrypted());
          DataBlock d = (DataBlock) in.message();
          assertEquals(40 + i, d.block());
          assertEquals(2, d.pass());
          assertArrayEquals(blocks[i], ByteBufUtil.getBytes(d.data()));
        } finally {
          in.release();
          one.release();
        }
      }
      assertEquals(batch.writerIndex(), at);
    } finally {
      batch.release();
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aMessageThatDoesNotFitLeavesTheBufferAsItWas(boolean encrypted) {
    SessionCodec sender = CodecFixtures.sender(encrypted);
    ByteBuf batch = Unpooled.buffer();
    batch.writeBytes(new byte[] {1, 2, 3});
    DataBlock tooLarge = new DataBlock(0, 1, Unpooled.wrappedBuffer(new byte[1500]));
    assertThrows(IllegalStateException.class, () -> sender.encodeInto(batch, tooLarge));
    assertEquals(3, batch.writerIndex());
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void signedMessagesAreNotBatched(boolean encrypted) {
    SessionCodec sender = CodecFixtures.sender(encrypted);
    assertThrows(
        IllegalArgumentException.class,
        () -> sender.encodeInto(Unpooled.buffer(), new PassEnd(1, 2)));
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void claimsReadsTheHeaderOnly(boolean encrypted) {
    SessionCodec sender = CodecFixtures.sender(encrypted);
    ByteBuf passEnd = sender.encode(UnpooledByteBufAllocator.DEFAULT, new PassEnd(1, 2));
    try {
      assertTrue(FrameCodec.claims(passEnd, MessageType.PASS_END, WireFormat.SENDER_SOURCE_ID));
      assertFalse(FrameCodec.claims(passEnd, MessageType.ANNOUNCE, WireFormat.SENDER_SOURCE_ID));
      assertFalse(FrameCodec.claims(passEnd, MessageType.PASS_END, 9));
      assertFalse(
          FrameCodec.claims(
              passEnd.slice(0, WireFormat.HEADER_BYTES - 1),
              MessageType.PASS_END,
              WireFormat.SENDER_SOURCE_ID));
    } finally {
      passEnd.release();
    }
  }
}
