package io.osdeploy.transfer.wire;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.osdeploy.testing.Fuzzer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Mutated multicast datagrams: whole frames (header, tag, everything), and payloads wrapped in a
 * correctly authenticated frame so that every message decoder sees them. Each is decoded or refused
 * with a {@link DecodeException}; nothing else escapes and nothing hangs.
 */
class DatagramFuzzTest {
  private static final MessageType[] TYPES = MessageType.values();

  @Test
  void wholeFramesAreDecodedOrRefused() throws Exception {
    SessionCodec sender = CodecFixtures.sender(false);
    List<byte[]> seeds = new ArrayList<>();
    for (Message m : CodecFixtures.messages()) {
      ByteBuf d = sender.encode(UnpooledByteBufAllocator.DEFAULT, m);
      seeds.add(ByteBufUtil.getBytes(d));
      d.release();
    }
    SessionCodec receiver = CodecFixtures.receiver(9, false);
    Fuzzer.Report report =
        new Fuzzer("multicast-frames", seeds, 2048, DecodeException.class)
            .run(input -> decode(receiver, Unpooled.wrappedBuffer(input)));
    assertTrue(report.refused() > 0, report.toString());
  }

  @Test
  void authenticatedPayloadsReachEveryDecoder() throws Exception {
    SessionCodec sender = CodecFixtures.sender(false);
    FrameCodec frames = CodecFixtures.frameCodec();
    List<byte[]> seeds = new ArrayList<>();
    for (Message m : CodecFixtures.messages()) {
      ByteBuf d = sender.encode(UnpooledByteBufAllocator.DEFAULT, m);
      Frame f = frames.decode(d, CodecFixtures.SESSION);
      byte[] payload = ByteBufUtil.getBytes(f.payload());
      f.payload().release();
      if (m.type().signed()) {
        // frame() signs again: the seed is the body only.
        payload = java.util.Arrays.copyOf(payload, payload.length - WireFormat.SIGNATURE_BYTES);
      }
      d.release();
      byte[] seed = new byte[payload.length + 1];
      seed[0] = (byte) m.type().ordinal();
      System.arraycopy(payload, 0, seed, 1, payload.length);
      seeds.add(seed);
    }
    SessionCodec receiver = CodecFixtures.receiver(9, false);
    long[] sequence = {0};
    Fuzzer.Report report =
        // A type byte and at most the payload one frame carries: no sender can frame more.
        new Fuzzer("multicast-payloads", seeds, 1 + WireFormat.MAX_PAYLOAD, DecodeException.class)
            .run(
                input -> {
                  if (input.length == 0) {
                    return;
                  }
                  MessageType type = TYPES[(input[0] & 0xff) % TYPES.length];
                  int room =
                      WireFormat.MAX_PAYLOAD - (type.signed() ? WireFormat.SIGNATURE_BYTES : 0);
                  byte[] payload =
                      java.util.Arrays.copyOfRange(input, 1, Math.min(input.length, 1 + room));
                  decode(receiver, CodecFixtures.frame(type, 0, ++sequence[0], payload));
                });
    assertTrue(report.accepted() > 0 && report.refused() > 0, report.toString());
  }

  private static void decode(SessionCodec receiver, ByteBuf datagram) throws DecodeException {
    try {
      receiver.decode(datagram).release();
    } finally {
      datagram.release();
    }
  }
}
