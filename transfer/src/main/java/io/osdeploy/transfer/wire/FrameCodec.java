package io.osdeploy.transfer.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Frames a payload into a datagram and back. The sender's datagrams (source 0) are authenticated
 * with the session's shared secret: an encrypted one by its AES-GCM tag alone, a plain one by an
 * HMAC trailer. A receiver's (never encrypted) carry the HMAC of its own feedback key, which only
 * it and the sender know. One instance per thread: it holds {@link Mac}s and a {@link Cipher},
 * which are not thread-safe, so every method is synchronized as a guard rather than for sharing.
 */
public final class FrameCodec {
  /** The feedback key of a receiver's source id, or null when this end does not know it. */
  @FunctionalInterface
  public interface FeedbackKeys {
    SecretKeySpec keyFor(int sourceId);
  }

  private final SessionKeys keys;
  private final FeedbackKeys feedbackKeys;
  private final Mac mac;
  private final Mac feedbackMac;
  private final Cipher cipher;
  private final byte[] trailer = new byte[32];
  // AES-GCM through arrays: on Java 17 it costs less than half of what it costs through direct
  // ByteBuffers (0.6 against 1.3-2.2 CPU s per GiB of 1,400-byte datagrams here), copies included.
  private final byte[] associated = new byte[WireFormat.HEADER_BYTES];
  private final byte[] cipherIn = new byte[WireFormat.MAX_PAYLOAD];
  private final byte[] cipherOut = new byte[WireFormat.MAX_PAYLOAD];

  public FrameCodec(SessionKeys keys, FeedbackKeys feedbackKeys) {
    this.keys = keys;
    this.feedbackKeys = feedbackKeys;
    try {
      this.mac = Mac.getInstance("HmacSHA256");
      this.mac.init(keys.macKey());
      this.feedbackMac = Mac.getInstance("HmacSHA256");
      this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 and AES/GCM are part of every JDK", e);
    }
  }

  /**
   * Builds a datagram around {@code plaintext} (read, not released). Throws if the payload does not
   * fit: that is a bug in the caller, never input from the network.
   */
  public synchronized ByteBuf encode(
      ByteBufAllocator alloc,
      MessageType type,
      int sessionId,
      int sourceId,
      long sequence,
      ByteBuf plaintext,
      boolean encrypt) {
    if (sequence <= 0) {
      throw new IllegalArgumentException("sequence numbers start at 1");
    }
    int payloadLength = plaintext.readableBytes() + (encrypt ? WireFormat.GCM_TAG_BYTES : 0);
    if (payloadLength > WireFormat.MAX_PAYLOAD) {
      throw new IllegalArgumentException(
          type + " payload of " + payloadLength + " bytes exceeds " + WireFormat.MAX_PAYLOAD);
    }
    ByteBuf out = alloc.buffer(WireFormat.HEADER_BYTES + payloadLength + trailerBytes(encrypt));
    try {
      frame(
          out,
          type,
          o -> o.writeBytes(plaintext, plaintext.readerIndex(), plaintext.readableBytes()),
          sessionId,
          sourceId,
          sequence,
          encrypt);
      return out;
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
  }

  /**
   * Appends the datagram of {@code message} to {@code out}, encoding the payload in place (no
   * intermediate buffer), then either encrypting it (through the codec's arrays, and back into
   * {@code out}) or adding the HMAC over the datagram as it stands. The sender's hot path for DATA
   * and PARITY, many datagrams to one buffer. Returns the datagram's length. On an error {@code
   * out} is left as it was.
   */
  public synchronized int encodeInto(
      ByteBuf out, Message message, int sessionId, int sourceId, long sequence, boolean encrypt) {
    if (sequence <= 0) {
      throw new IllegalArgumentException("sequence numbers start at 1");
    }
    return frame(out, message.type(), message::encode, sessionId, sourceId, sequence, encrypt);
  }

  /**
   * Appends a datagram to {@code out}: the header and the payload {@code payload} writes, then
   * either encrypted in place with its GCM tag (the header is the tag's associated data) or
   * followed by the HMAC over the datagram as it stands. Returns its length; on an error {@code
   * out} is left as it was.
   */
  private int frame(
      ByteBuf out,
      MessageType type,
      java.util.function.Consumer<ByteBuf> payload,
      int sessionId,
      int sourceId,
      long sequence,
      boolean encrypt) {
    int start = out.writerIndex();
    try {
      if (encrypt && sourceId != WireFormat.SENDER_SOURCE_ID) {
        throw new IllegalArgumentException("only the sender encrypts");
      }
      writeHeader(
          out, type, encrypt ? WireFormat.FLAG_ENCRYPTED : 0, sessionId, sourceId, sequence, 0);
      int payloadStart = out.writerIndex();
      payload.accept(out);
      int plain = out.writerIndex() - payloadStart;
      int payloadLength = plain + (encrypt ? WireFormat.GCM_TAG_BYTES : 0);
      if (payloadLength > WireFormat.MAX_PAYLOAD) {
        throw new IllegalArgumentException(
            type + " payload of " + payloadLength + " bytes exceeds " + WireFormat.MAX_PAYLOAD);
      }
      out.setShort(start + 24, payloadLength);
      if (encrypt) {
        // The GCM tag authenticates header and ciphertext: an HMAC as well would add nothing.
        out.ensureWritable(WireFormat.GCM_TAG_BYTES);
        cipher.init(Cipher.ENCRYPT_MODE, keys.encKey(), nonce(sourceId, sequence));
        out.getBytes(start, associated);
        cipher.updateAAD(associated);
        out.getBytes(payloadStart, cipherIn, 0, plain);
        int sealed = cipher.doFinal(cipherIn, 0, plain, cipherOut, 0);
        out.setBytes(payloadStart, cipherOut, 0, sealed);
        out.writerIndex(payloadStart + payloadLength);
        return out.writerIndex() - start;
      }
      Mac authenticator = macFor(sourceId);
      if (authenticator == null) {
        throw new IllegalArgumentException(
            "no key for source " + Integer.toUnsignedString(sourceId));
      }
      out.writeBytes(
          hmac(authenticator, out, start, WireFormat.HEADER_BYTES + payloadLength), 0, 16);
      return out.writerIndex() - start;
    } catch (GeneralSecurityException | RuntimeException e) {
      out.writerIndex(start);
      throw new IllegalStateException("cannot frame " + type, e);
    }
  }

  private static void writeHeader(
      ByteBuf out,
      MessageType type,
      int flags,
      int sessionId,
      int sourceId,
      long sequence,
      int payloadLength) {
    out.writeInt(WireFormat.MAGIC)
        .writeByte(WireFormat.VERSION)
        .writeByte(type.code())
        .writeShort(flags)
        .writeInt(sessionId)
        .writeInt(sourceId)
        .writeLong(sequence)
        .writeShort(payloadLength)
        .writeShort(0);
  }

  /**
   * Validates and authenticates {@code datagram} (not released). The returned frame's payload is
   * the plaintext, a retained slice of {@code datagram}; the caller releases it. An encrypted
   * payload is decrypted in place, so afterwards the datagram holds the plaintext.
   */
  public synchronized Frame decode(ByteBuf datagram, int expectedSessionId) throws DecodeException {
    int start = datagram.readerIndex();
    int length = datagram.readableBytes();
    if (length < WireFormat.HEADER_BYTES) {
      throw new DecodeException(
          DecodeException.Reason.TRUNCATED,
          "datagram of " + length + " bytes is shorter than a header");
    }
    int magic = datagram.getInt(start);
    if (magic != WireFormat.MAGIC) {
      throw new DecodeException(
          DecodeException.Reason.BAD_MAGIC, "magic " + Integer.toHexString(magic));
    }
    int version = datagram.getUnsignedByte(start + 4);
    if (version != WireFormat.VERSION) {
      throw new DecodeException(DecodeException.Reason.BAD_VERSION, "version " + version);
    }
    MessageType type = MessageType.fromCode(datagram.getUnsignedByte(start + 5));
    int flags = datagram.getUnsignedShort(start + 6);
    if ((flags & ~WireFormat.FLAG_ENCRYPTED) != 0) {
      throw DecodeException.field("unknown flags " + Integer.toHexString(flags));
    }
    int sessionId = datagram.getInt(start + 8);
    int sourceId = datagram.getInt(start + 12);
    long sequence = datagram.getLong(start + 16);
    int payloadLength = datagram.getUnsignedShort(start + 24);
    int reserved = datagram.getUnsignedShort(start + 26);
    if (reserved != 0) {
      throw DecodeException.field("reserved header bytes are not 0");
    }
    if (payloadLength > WireFormat.MAX_PAYLOAD) {
      throw new DecodeException(
          DecodeException.Reason.BAD_LENGTH, "payload length " + payloadLength + " too large");
    }
    FrameHeader header = new FrameHeader(type, flags, sessionId, sourceId, sequence, payloadLength);
    if (header.encrypted() && sourceId != WireFormat.SENDER_SOURCE_ID) {
      throw DecodeException.field("only the sender encrypts");
    }
    int expected = WireFormat.HEADER_BYTES + payloadLength + trailerBytes(header.encrypted());
    if (length != expected) {
      throw new DecodeException(
          length < expected ? DecodeException.Reason.TRUNCATED : DecodeException.Reason.BAD_LENGTH,
          "datagram of " + length + " bytes, header says " + expected);
    }
    if (sessionId != expectedSessionId) {
      throw new DecodeException(
          DecodeException.Reason.WRONG_SESSION, "session " + Integer.toUnsignedString(sessionId));
    }
    if (sequence <= 0) {
      throw DecodeException.field("sequence " + sequence);
    }
    if (header.encrypted()) {
      return decrypt(datagram, header, start);
    }
    // Authenticate before looking at anything in the payload.
    Mac authenticator = macFor(sourceId);
    if (authenticator == null) {
      throw new DecodeException(
          DecodeException.Reason.AUTHENTICATION_FAILED,
          type
              + " from source "
              + Integer.toUnsignedString(sourceId)
              + ", whose key this end lacks");
    }
    byte[] computed = hmac(authenticator, datagram, start, WireFormat.HEADER_BYTES + payloadLength);
    byte[] received = new byte[WireFormat.TRAILER_BYTES];
    datagram.getBytes(start + WireFormat.HEADER_BYTES + payloadLength, received);
    if (!MessageDigest.isEqual(Arrays.copyOf(computed, 16), received)) {
      throw new DecodeException(
          DecodeException.Reason.AUTHENTICATION_FAILED, type + " HMAC mismatch");
    }
    return new Frame(
        header, datagram.retainedSlice(start + WireFormat.HEADER_BYTES, payloadLength));
  }

  /**
   * Authenticates and decrypts the sender's encrypted datagram in place: the plaintext overwrites
   * the ciphertext in the datagram's own buffer, and nothing is returned unless the GCM tag over
   * header and ciphertext matched.
   */
  private Frame decrypt(ByteBuf datagram, FrameHeader header, int start) throws DecodeException {
    int payloadLength = header.payloadLength();
    if (payloadLength < WireFormat.GCM_TAG_BYTES) {
      throw new DecodeException(DecodeException.Reason.BAD_LENGTH, "encrypted payload too short");
    }
    int payloadStart = start + WireFormat.HEADER_BYTES;
    int plainLength = payloadLength - WireFormat.GCM_TAG_BYTES;
    try {
      cipher.init(Cipher.DECRYPT_MODE, keys.encKey(), nonce(header.sourceId(), header.sequence()));
      datagram.getBytes(start, associated);
      cipher.updateAAD(associated);
      datagram.getBytes(payloadStart, cipherIn, 0, payloadLength);
      cipher.doFinal(cipherIn, 0, payloadLength, cipherOut, 0);
      datagram.setBytes(payloadStart, cipherOut, 0, plainLength);
      return new Frame(header, datagram.retainedSlice(payloadStart, plainLength));
    } catch (AEADBadTagException e) {
      throw new DecodeException(
          DecodeException.Reason.AUTHENTICATION_FAILED, header.type() + " GCM tag mismatch");
    } catch (GeneralSecurityException e) {
      throw new DecodeException(DecodeException.Reason.DECRYPTION_FAILED, e.getMessage());
    }
  }

  /** The sender's encrypted datagrams end with their GCM tag; every other one with an HMAC. */
  private static int trailerBytes(boolean encrypted) {
    return encrypted ? 0 : WireFormat.TRAILER_BYTES;
  }

  /**
   * Whether {@code datagram}'s header claims to be {@code type} from {@code sourceId}, unchecked:
   * only to skip work a datagram could not change anyway (a repeated ANNOUNCE's signature check),
   * never to act on it.
   */
  public static boolean claims(ByteBuf datagram, MessageType type, int sourceId) {
    int start = datagram.readerIndex();
    return datagram.readableBytes() >= WireFormat.HEADER_BYTES
        && datagram.getInt(start) == WireFormat.MAGIC
        && datagram.getUnsignedByte(start + 5) == type.code()
        && datagram.getInt(start + 12) == sourceId;
  }

  /** The sender's datagrams use the shared key; each receiver's, its own feedback key. */
  private Mac macFor(int sourceId) {
    if (sourceId == WireFormat.SENDER_SOURCE_ID) {
      return mac;
    }
    SecretKeySpec key = feedbackKeys.keyFor(sourceId);
    if (key == null) {
      return null;
    }
    try {
      feedbackMac.init(key);
    } catch (java.security.InvalidKeyException e) {
      throw new IllegalStateException("an HMAC key of 32 bytes is always valid", e);
    }
    return feedbackMac;
  }

  private byte[] hmac(Mac mac, ByteBuf buf, int index, int length) {
    mac.update(buf.nioBuffer(index, length));
    try {
      mac.doFinal(trailer, 0);
    } catch (ShortBufferException e) {
      throw new IllegalStateException(e);
    }
    return trailer;
  }

  private static GCMParameterSpec nonce(int sourceId, long sequence) {
    byte[] iv = ByteBuffer.allocate(12).putInt(sourceId).putLong(sequence).array();
    return new GCMParameterSpec(WireFormat.GCM_TAG_BYTES * 8, iv);
  }
}
