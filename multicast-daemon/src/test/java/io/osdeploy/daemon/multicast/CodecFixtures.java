package io.osdeploy.daemon.multicast;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.Arrays;

/** Keys and raw frames for codec tests. */
final class CodecFixtures {
  static final int SESSION = 0x1234_5678;

  private CodecFixtures() {}

  static byte[] secret(int seed) {
    byte[] s = new byte[SessionKeys.SECRET_BYTES];
    Arrays.fill(s, (byte) seed);
    s[0] = 42;
    return s;
  }

  static SessionKeys keys() {
    return SessionKeys.fromSecret(secret(7));
  }

  /** A correctly authenticated datagram around arbitrary payload bytes. */
  static ByteBuf frame(MessageType type, int sourceId, long seq, byte[] payload) {
    ByteBuf p = Unpooled.wrappedBuffer(payload);
    try {
      return new FrameCodec(keys())
          .encode(UnpooledByteBufAllocator.DEFAULT, type, SESSION, sourceId, seq, p, false);
    } finally {
      p.release();
    }
  }
}
