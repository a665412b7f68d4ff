package io.osdeploy.daemon.pxe;

import io.osdeploy.daemon.pxe.MalformedPacketException.Reason;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** TFTP packets (RFC 1350) with option extension (RFC 2347). */
public sealed interface TftpPacket {
  int RRQ = 1;
  int WRQ = 2;
  int DATA = 3;
  int ACK = 4;
  int ERROR = 5;
  int OACK = 6;

  /** Largest DATA packet RFC 2348 allows: 4 header bytes and a 65464-byte block. */
  int MAX_LENGTH = 65468;

  byte[] encode();

  /** RRQ or WRQ; option names are kept in lower case, values as sent. */
  record Request(boolean write, String filename, String mode, Map<String, String> options)
      implements TftpPacket {
    public Request {
      options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    @Override
    public byte[] encode() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(0);
      out.write(write ? WRQ : RRQ);
      string(out, filename);
      string(out, mode);
      options.forEach(
          (k, v) -> {
            string(out, k);
            string(out, v);
          });
      return out.toByteArray();
    }
  }

  record Data(int block, byte[] data) implements TftpPacket {
    @Override
    public byte[] encode() {
      return ByteBuffer.allocate(4 + data.length)
          .putShort((short) DATA)
          .putShort((short) block)
          .put(data)
          .array();
    }
  }

  record Ack(int block) implements TftpPacket {
    @Override
    public byte[] encode() {
      return ByteBuffer.allocate(4).putShort((short) ACK).putShort((short) block).array();
    }
  }

  record Error(int code, String message) implements TftpPacket {
    public static final int NOT_DEFINED = 0;
    public static final int FILE_NOT_FOUND = 1;
    public static final int ACCESS_VIOLATION = 2;
    public static final int ILLEGAL_OPERATION = 4;
    public static final int UNKNOWN_TID = 5;
    public static final int OPTION_REFUSED = 8;

    @Override
    public byte[] encode() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(0);
      out.write(ERROR);
      out.write(code >> 8);
      out.write(code);
      string(out, message);
      return out.toByteArray();
    }
  }

  record OptionAck(Map<String, String> options) implements TftpPacket {
    public OptionAck {
      options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    @Override
    public byte[] encode() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(0);
      out.write(OACK);
      options.forEach(
          (k, v) -> {
            string(out, k);
            string(out, v);
          });
      return out.toByteArray();
    }
  }

  /**
   * Parses one datagram.
   *
   * @param maxLength the largest packet the receiver accepts here: requests are small, DATA large
   */
  static TftpPacket decode(byte[] data, int maxLength) throws MalformedPacketException {
    if (data.length > maxLength) {
      throw new MalformedPacketException(
          Reason.OVERSIZED, "length: " + data.length + " bytes, more than " + maxLength);
    }
    if (data.length < 4) {
      throw new MalformedPacketException(
          Reason.TRUNCATED, "length: " + data.length + " bytes, fewer than 4");
    }
    ByteBuffer in = ByteBuffer.wrap(data);
    int opcode = in.getShort() & 0xffff;
    switch (opcode) {
      case RRQ, WRQ -> {
        String filename = string(in, "filename");
        String mode = string(in, "mode").toLowerCase(Locale.ROOT);
        Map<String, String> options = new LinkedHashMap<>();
        while (in.hasRemaining()) {
          String name = string(in, "option name").toLowerCase(Locale.ROOT);
          String value = string(in, "option " + name);
          if (options.putIfAbsent(name, value) != null) {
            throw new MalformedPacketException(
                Reason.BAD_FIELD, "option " + name + ": given twice");
          }
        }
        return new Request(opcode == WRQ, filename, mode, options);
      }
      case DATA -> {
        int block = in.getShort() & 0xffff;
        byte[] payload = new byte[in.remaining()];
        in.get(payload);
        return new Data(block, payload);
      }
      case ACK -> {
        if (data.length != 4) {
          throw new MalformedPacketException(
              Reason.BAD_FIELD, "ack: length " + data.length + ", want 4");
        }
        return new Ack(in.getShort() & 0xffff);
      }
      case ERROR -> {
        int code = in.getShort() & 0xffff;
        String message = in.hasRemaining() ? string(in, "error message") : "";
        return new Error(code, message);
      }
      case OACK -> {
        Map<String, String> options = new LinkedHashMap<>();
        while (in.hasRemaining()) {
          String name = string(in, "option name").toLowerCase(Locale.ROOT);
          options.put(name, string(in, "option " + name));
        }
        return new OptionAck(options);
      }
      default ->
          throw new MalformedPacketException(
              Reason.UNKNOWN_OPCODE, "opcode: " + opcode + " is not a TFTP opcode");
    }
  }

  private static String string(ByteBuffer in, String field) throws MalformedPacketException {
    int start = in.position();
    while (in.hasRemaining()) {
      byte b = in.get();
      if (b == 0) {
        return new String(in.array(), start, in.position() - start - 1, StandardCharsets.US_ASCII);
      }
      if (b < 0x20 || b > 0x7e) {
        throw new MalformedPacketException(
            Reason.BAD_FIELD,
            field + ": byte " + (in.position() - 1 - start) + " is not printable");
      }
    }
    throw new MalformedPacketException(Reason.TRUNCATED, field + ": no terminating zero byte");
  }

  private static void string(ByteArrayOutputStream out, String value) {
    out.writeBytes(value.getBytes(StandardCharsets.US_ASCII));
    out.write(0);
  }
}
