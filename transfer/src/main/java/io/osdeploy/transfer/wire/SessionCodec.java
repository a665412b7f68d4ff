package io.osdeploy.transfer.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.crypto.spec.SecretKeySpec;

/**
 * One end of a session on the wire: frames outgoing messages with this end's source id and next
 * sequence number (the sender signs its control messages), and turns incoming datagrams into
 * messages after authentication, the signature check for the sender's control messages, the replay
 * check and, where the session is encrypted, a check that the sender really encrypted. Counts every
 * rejected datagram by reason.
 *
 * <p>The replay window covers what can steer a receiver or the sender: the sender's signed control
 * messages, checked after their signature, and each receiver's feedback, under its own key. DATA
 * and PARITY have none: a joined receiver holds the shared key, and a forged DATA with a huge
 * sequence would otherwise push the window past every real datagram. A replayed block is a
 * duplicate, and a forged one fails its section's digest.
 */
public final class SessionCodec {
  private final FrameCodec codec;
  private final int sessionId;
  private final int sourceId;
  private final boolean encryptedSession;
  private final PrivateKey signingKey;
  private final PublicKey senderKey;

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

  private SessionCodec(
      SessionKeys keys,
      FrameCodec.FeedbackKeys feedbackKeys,
      int sessionId,
      int sourceId,
      boolean encryptedSession,
      PrivateKey signingKey,
      PublicKey senderKey) {
    this.codec = new FrameCodec(keys, feedbackKeys);
    this.sessionId = sessionId;
    this.sourceId = sourceId;
    this.encryptedSession = encryptedSession;
    this.signingKey = signingKey;
    this.senderKey = senderKey;
    for (DecodeException.Reason r : DecodeException.Reason.values()) {
      rejected.put(r, new LongAdder());
    }
  }

  /** The sender's end: it signs, and checks each receiver's feedback under that receiver's key. */
  public static SessionCodec forSender(
      SenderSecrets secrets, int sessionId, boolean encryptedSession) {
    Map<Integer, SecretKeySpec> derived = new java.util.concurrent.ConcurrentHashMap<>();
    FrameCodec.FeedbackKeys feedback =
        source -> {
          if (derived.size() > WireFormat.MAX_RECEIVERS && !derived.containsKey(source)) {
            derived.clear(); // a flood of made-up source ids: derive again rather than grow
          }
          return derived.computeIfAbsent(
              source,
              s ->
                  new SecretKeySpec(
                      SessionKeys.feedbackKey(secrets.feedbackSecret(), s), "HmacSHA256"));
        };
    return new SessionCodec(
        SessionKeys.fromSecret(secrets.groupSecret()),
        feedback,
        sessionId,
        WireFormat.SENDER_SOURCE_ID,
        encryptedSession,
        secrets.signing().getPrivate(),
        secrets.signing().getPublic());
  }

  /** A receiver's end: it authenticates its feedback with its own key and checks signatures. */
  public static SessionCodec forReceiver(
      ReceiverSecrets secrets, int sessionId, int sourceId, boolean encryptedSession) {
    if (sourceId == WireFormat.SENDER_SOURCE_ID) {
      throw new IllegalArgumentException("source id 0 is the sender's");
    }
    SecretKeySpec own = new SecretKeySpec(secrets.feedbackKey(), "HmacSHA256");
    return new SessionCodec(
        SessionKeys.fromSecret(secrets.groupSecret()),
        source -> source == sourceId ? own : null,
        sessionId,
        sourceId,
        encryptedSession,
        null,
        secrets.senderKey());
  }

  public int sessionId() {
    return sessionId;
  }

  /** Frames {@code message}; only the sender of an encrypted session encrypts, and signs. */
  public ByteBuf encode(ByteBufAllocator alloc, Message message) {
    ByteBuf payload = alloc.buffer(WireFormat.MAX_PAYLOAD);
    try {
      message.encode(payload);
      long seq = sequence.incrementAndGet();
      if (message.type().signed()) {
        if (signingKey == null) {
          throw new IllegalStateException("only the sender sends " + message.type());
        }
        byte[] body = new byte[payload.readableBytes()];
        payload.getBytes(payload.readerIndex(), body);
        payload.writeBytes(ControlSignature.sign(signingKey, message.type(), sessionId, seq, body));
      }
      boolean encrypt = encryptedSession && sourceId == WireFormat.SENDER_SOURCE_ID;
      return codec.encode(alloc, message.type(), sessionId, sourceId, seq, payload, encrypt);
    } finally {
      payload.release();
    }
  }

  /**
   * Appends the datagram of an unsigned {@code message} (DATA, PARITY) to {@code out} and returns
   * its length: the sender's way to fill one buffer with many datagrams.
   */
  public int encodeInto(ByteBuf out, Message message) {
    if (message.type().signed()) {
      throw new IllegalArgumentException(message.type() + " is signed; use encode");
    }
    boolean encrypt = encryptedSession && sourceId == WireFormat.SENDER_SOURCE_ID;
    return codec.encodeInto(out, message, sessionId, sourceId, sequence.incrementAndGet(), encrypt);
  }

  /**
   * Decodes {@code datagram} (not released; an encrypted one is decrypted in place), or counts and
   * throws why it must be dropped.
   */
  public Received decode(ByteBuf datagram) throws DecodeException {
    try {
      Frame frame = codec.decode(datagram, sessionId);
      try {
        FrameHeader h = frame.header();
        boolean fromSender = h.sourceId() == WireFormat.SENDER_SOURCE_ID;
        if (encryptedSession && fromSender && !h.encrypted()) {
          throw DecodeException.field("plaintext " + h.type() + " in an encrypted session");
        }
        if (fromSender && h.type().signed()) {
          frame = withoutSignature(frame);
        }
        if ((!fromSender || h.type().signed()) && !acceptSequence(h.sourceId(), h.sequence())) {
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

  /**
   * Checks the sender's signature at the end of a control message's payload and returns a frame
   * with the body only, releasing the one passed in; when it throws, the caller still owns that.
   */
  private Frame withoutSignature(Frame frame) throws DecodeException {
    ByteBuf payload = frame.payload();
    int bodyLength = payload.readableBytes() - WireFormat.SIGNATURE_BYTES;
    FrameHeader h = frame.header();
    if (bodyLength < 0) {
      throw new DecodeException(
          DecodeException.Reason.BAD_SIGNATURE, h.type() + " without the sender's signature");
    }
    byte[] body = new byte[bodyLength];
    byte[] signature = new byte[WireFormat.SIGNATURE_BYTES];
    payload.getBytes(payload.readerIndex(), body);
    payload.getBytes(payload.readerIndex() + bodyLength, signature);
    if (!ControlSignature.verify(senderKey, h.type(), sessionId, h.sequence(), body, signature)) {
      throw new DecodeException(
          DecodeException.Reason.BAD_SIGNATURE, h.type() + " not signed by the session's sender");
    }
    Frame bodyOnly = new Frame(h, payload.retainedSlice(payload.readerIndex(), bodyLength));
    payload.release();
    return bodyOnly;
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
