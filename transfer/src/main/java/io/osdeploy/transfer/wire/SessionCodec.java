package io.osdeploy.transfer.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One end of a session on the wire: frames outgoing messages with this end's source id and next
 * sequence number, and turns incoming datagrams into messages after authentication, the replay
 * check and, where the session is encrypted, a check that the sender really encrypted. Counts every
 * rejected datagram by reason.
 */
public final class SessionCodec {
  private final FrameCodec codec;
  private final int sessionId;
  private final int sourceId;
  private final boolean encryptedSession;

  /**
   * Sequences start at the clock (milliseconds, shifted left 20 bits) rather than at 1, so that a
   * receiver that restarts and rejoins under the same source id (the join endpoint gives a client
   * id its source id back) continues above every sequence its previous run sent: its NAKs are not
   * taken for replays, and no (source id, sequence) pair, an AES-GCM nonce, is used twice. A run
   * would have to send more than 2^20 datagrams per millisecond to catch up with its successor.
   */
  private final AtomicLong sequence = new AtomicLong(System.currentTimeMillis() << 20);

  private final Map<Integer, ReplayWindow> windows = new HashMap<>();
  private final Map<DecodeException.Reason, LongAdder> rejected =
      new EnumMap<>(DecodeException.Reason.class);

  /** A decoded message and the frame that holds its bytes; release the frame after use. */
  public record Received(FrameHeader header, Message message, Frame frame) {
    public void release() {
      frame.payload().release();
    }
  }

  public SessionCodec(SessionKeys keys, int sessionId, int sourceId, boolean encryptedSession) {
    this.codec = new FrameCodec(keys);
    this.sessionId = sessionId;
    this.sourceId = sourceId;
    this.encryptedSession = encryptedSession;
    for (DecodeException.Reason r : DecodeException.Reason.values()) {
      rejected.put(r, new LongAdder());
    }
  }

  public int sessionId() {
    return sessionId;
  }

  /** Frames {@code message}; only the sender of an encrypted session encrypts. */
  public ByteBuf encode(ByteBufAllocator alloc, Message message) {
    ByteBuf payload = alloc.buffer(WireFormat.MAX_PAYLOAD);
    try {
      message.encode(payload);
      boolean encrypt = encryptedSession && sourceId == WireFormat.SENDER_SOURCE_ID;
      return codec.encode(
          alloc, message.type(), sessionId, sourceId, sequence.incrementAndGet(), payload, encrypt);
    } finally {
      payload.release();
    }
  }

  /** Decodes {@code datagram} (not released), or counts and throws why it must be dropped. */
  public Received decode(ByteBuf datagram) throws DecodeException {
    try {
      Frame frame = codec.decode(datagram, sessionId);
      try {
        FrameHeader h = frame.header();
        boolean fromSender = h.sourceId() == WireFormat.SENDER_SOURCE_ID;
        if (encryptedSession && fromSender && !h.encrypted()) {
          throw DecodeException.field("plaintext " + h.type() + " in an encrypted session");
        }
        if (!acceptSequence(h.sourceId(), h.sequence())) {
          throw new DecodeException(
              DecodeException.Reason.REPLAYED,
              "sequence " + h.sequence() + " from source " + h.sourceId());
        }
        return new Received(h, Message.decode(frame), frame);
      } catch (DecodeException | RuntimeException e) {
        frame.payload().release();
        throw e;
      }
    } catch (DecodeException e) {
      rejected.get(e.reason()).increment();
      throw e;
    }
  }

  /** How many datagrams were dropped for {@code reason}. */
  public long rejected(DecodeException.Reason reason) {
    return rejected.get(reason).sum();
  }

  public long rejectedTotal() {
    return rejected.values().stream().mapToLong(LongAdder::sum).sum();
  }

  private synchronized boolean acceptSequence(int source, long seq) throws DecodeException {
    ReplayWindow window = windows.get(source);
    if (window == null) {
      if (windows.size() >= WireFormat.MAX_RECEIVERS + 1) {
        throw DecodeException.field("more than " + WireFormat.MAX_RECEIVERS + " sources");
      }
      window = new ReplayWindow();
      windows.put(source, window);
    }
    return window.accept(seq);
  }
}
