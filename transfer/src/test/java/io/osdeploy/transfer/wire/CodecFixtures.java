package io.osdeploy.transfer.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/** Keys, messages and raw frames for codec tests. */
final class CodecFixtures {
  static final int SESSION = 0x1234_5678;
  static final byte[] SHA256 = new byte[32];

  static {
    for (int i = 0; i < SHA256.length; i++) {
      SHA256[i] = (byte) (i * 7);
    }
  }

  private CodecFixtures() {}

  /**
   * One or more of every message type, with the edges of their fields; new buffers on every call,
   * as encoding consumes them.
   */
  static List<Message> messages() {
    BitSet a = new BitSet();
    a.set(0);
    a.set(255);
    BitSet b = new BitSet();
    b.set(17, 40);
    return List.of(
        Announce.of(4L << 20, 1400, 256, 200_000, SHA256, "windows-11-23h2.wim"),
        Announce.of(1, 1, 8, 1, SHA256, "é"),
        new DataBlock(0, 2995, Unpooled.wrappedBuffer(new byte[] {1, 2, 3})),
        new DataBlock(65535, 0xFFFF_FFFEL, Unpooled.wrappedBuffer(new byte[1404])),
        new ParityBlock(2, 5, 11, Unpooled.wrappedBuffer(new byte[1400])),
        new Nak(3, 32, List.of(new Nak.Section(0, a), new Nak.Section(9, b))),
        new PassEnd(4, 2996),
        new Status(Status.State.VERIFIED, 2996, 0),
        new Status(Status.State.DIGEST_MISMATCH, 10, 0xFFFF_FFFFL),
        new Status(Status.State.CONGESTED, 230, 70),
        new SessionEnd(SessionEnd.Reason.ALL_VERIFIED, 7));
  }

  static byte[] secret(int seed) {
    byte[] s = new byte[SessionKeys.SECRET_BYTES];
    Arrays.fill(s, (byte) seed);
    s[0] = 42;
    return s;
  }

  /** The session's secrets: one sender, receivers by source id. */
  static final SenderSecrets SENDER =
      SenderSecrets.generate(new java.security.SecureRandom(new byte[] {7}));

  static SessionCodec sender(boolean encrypted) {
    return SessionCodec.forSender(SENDER, SESSION, encrypted);
  }

  static SessionCodec receiver(int source, boolean encrypted) {
    return SessionCodec.forReceiver(SENDER.receiver(source), SESSION, source, encrypted);
  }

  /** A receiver of another session's secrets: it holds none of this session's keys. */
  static SessionCodec stranger(int source, boolean encrypted) {
    SenderSecrets other = SenderSecrets.generate(new java.security.SecureRandom());
    return SessionCodec.forReceiver(other.receiver(source), SESSION, source, encrypted);
  }

  /** Frames without the session layer, knowing every receiver's feedback key as the sender does. */
  static FrameCodec frameCodec() {
    return new FrameCodec(
        SessionKeys.fromSecret(SENDER.groupSecret()),
        source ->
            new javax.crypto.spec.SecretKeySpec(
                SessionKeys.feedbackKey(SENDER.feedbackSecret(), source), "HmacSHA256"));
  }

  /**
   * A correctly authenticated datagram around arbitrary payload bytes; a sender's control message
   * gets the sender's signature after them, as the sender signs.
   */
  static ByteBuf frame(MessageType type, int sourceId, long seq, byte[] payload) {
    byte[] body = payload;
    if (type.signed() && sourceId == WireFormat.SENDER_SOURCE_ID) {
      byte[] signature =
          ControlSignature.sign(SENDER.signing().getPrivate(), type, SESSION, seq, payload);
      body = Arrays.copyOf(payload, payload.length + signature.length);
      System.arraycopy(signature, 0, body, payload.length, signature.length);
    }
    ByteBuf p = Unpooled.wrappedBuffer(body);
    try {
      return frameCodec()
          .encode(UnpooledByteBufAllocator.DEFAULT, type, SESSION, sourceId, seq, p, false);
    } finally {
      p.release();
    }
  }
}
