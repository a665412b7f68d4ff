package io.osdeploy.daemon.pxe;

import io.osdeploy.daemon.pxe.MalformedPacketException.Reason;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One BOOTP/DHCP message (RFC 951, RFC 2131): the fixed header, the magic cookie and the options.
 * Options repeated in one message are joined (RFC 3396); overloaded sname/file fields (option 52)
 * are kept as plain fields.
 */
public record DhcpPacket(
    int op,
    int htype,
    int hlen,
    int hops,
    int xid,
    int secs,
    int flags,
    Inet4Address ciaddr,
    Inet4Address yiaddr,
    Inet4Address siaddr,
    Inet4Address giaddr,
    byte[] chaddr,
    String sname,
    String file,
    Map<Integer, byte[]> options) {

  public static final int BOOTREQUEST = 1;
  public static final int BOOTREPLY = 2;
  public static final int HTYPE_ETHERNET = 1;
  public static final int FLAG_BROADCAST = 0x8000;

  /** The fixed header and the magic cookie: the least a DHCP message can be. */
  static final int MIN_LENGTH = 240;

  /** An Ethernet frame's UDP payload; PXE clients send far less. */
  public static final int MAX_LENGTH = 1472;

  /** BOOTP relays and old clients drop replies shorter than this (RFC 1542). */
  static final int MIN_REPLY_LENGTH = 300;

  private static final int MAGIC_COOKIE = 0x63825363;
  private static final int SNAME_LENGTH = 64;
  private static final int FILE_LENGTH = 128;
  public static final Inet4Address ZERO = address(new byte[4]);

  public DhcpPacket {
    checkByte("op", op);
    checkByte("htype", htype);
    checkByte("hlen", hlen);
    checkByte("hops", hops);
    if (secs < 0 || secs > 0xffff) {
      throw new IllegalArgumentException("secs: must fit 16 bits (got " + secs + ")");
    }
    if (flags < 0 || flags > 0xffff) {
      throw new IllegalArgumentException("flags: must fit 16 bits (got " + flags + ")");
    }
    ciaddr = ciaddr == null ? ZERO : ciaddr;
    yiaddr = yiaddr == null ? ZERO : yiaddr;
    siaddr = siaddr == null ? ZERO : siaddr;
    giaddr = giaddr == null ? ZERO : giaddr;
    if (chaddr == null || chaddr.length > 16) {
      throw new IllegalArgumentException("chaddr: at most 16 bytes");
    }
    chaddr = Arrays.copyOf(chaddr, 16);
    sname = checkField("sname", sname, SNAME_LENGTH);
    file = checkField("file", file, FILE_LENGTH);
    Map<Integer, byte[]> copy = new LinkedHashMap<>();
    for (Map.Entry<Integer, byte[]> e : options.entrySet()) {
      int code = e.getKey();
      if (code <= DhcpOption.PAD || code >= DhcpOption.END) {
        throw new IllegalArgumentException("options: code " + code + " carries no value");
      }
      copy.put(code, e.getValue().clone());
    }
    options = Collections.unmodifiableMap(copy);
  }

  /** Parses one datagram's payload, checking every length against the bytes there are. */
  public static DhcpPacket decode(byte[] data) throws MalformedPacketException {
    if (data.length > MAX_LENGTH) {
      throw new MalformedPacketException(
          Reason.OVERSIZED, "length: " + data.length + " bytes, more than " + MAX_LENGTH);
    }
    if (data.length < MIN_LENGTH) {
      throw new MalformedPacketException(
          Reason.TRUNCATED, "length: " + data.length + " bytes, fewer than " + MIN_LENGTH);
    }
    ByteBuffer in = ByteBuffer.wrap(data);
    int op = in.get() & 0xff;
    int htype = in.get() & 0xff;
    int hlen = in.get() & 0xff;
    int hops = in.get() & 0xff;
    int xid = in.getInt();
    int secs = in.getShort() & 0xffff;
    int flags = in.getShort() & 0xffff;
    Inet4Address ciaddr = address(in);
    Inet4Address yiaddr = address(in);
    Inet4Address siaddr = address(in);
    Inet4Address giaddr = address(in);
    if (op != BOOTREQUEST && op != BOOTREPLY) {
      throw new MalformedPacketException(Reason.BAD_FIELD, "op: must be 1 or 2 (got " + op + ")");
    }
    if (hlen > 16) {
      throw new MalformedPacketException(Reason.BAD_FIELD, "hlen: at most 16 (got " + hlen + ")");
    }
    byte[] chaddr = new byte[16];
    in.get(chaddr);
    String sname = cString(in, SNAME_LENGTH);
    String file = cString(in, FILE_LENGTH);
    int cookie = in.getInt();
    if (cookie != MAGIC_COOKIE) {
      throw new MalformedPacketException(
          Reason.BAD_MAGIC_COOKIE, String.format("magic cookie: 0x%08x, want 0x63825363", cookie));
    }
    Map<Integer, byte[]> options = new LinkedHashMap<>();
    while (in.hasRemaining()) {
      int code = in.get() & 0xff;
      if (code == DhcpOption.PAD) {
        continue;
      }
      if (code == DhcpOption.END) {
        break;
      }
      if (!in.hasRemaining()) {
        throw new MalformedPacketException(
            Reason.OPTION_OVERRUN, "option " + code + ": length byte past the end of the packet");
      }
      int length = in.get() & 0xff;
      if (length > in.remaining()) {
        throw new MalformedPacketException(
            Reason.OPTION_OVERRUN,
            "option "
                + code
                + ": length "
                + length
                + " overruns the packet by "
                + (length - in.remaining())
                + " bytes");
      }
      byte[] value = new byte[length];
      in.get(value);
      options.merge(code, value, DhcpPacket::concat);
    }
    return new DhcpPacket(
        op, htype, hlen, hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr, sname,
        file, options);
  }

  /** The wire form, padded to the 300 bytes BOOTP relays expect. */
  public byte[] encode() {
    int optionBytes = 1;
    for (byte[] value : options.values()) {
      optionBytes += value.length + 2 * Math.max(1, (value.length + 254) / 255);
    }
    ByteBuffer out = ByteBuffer.allocate(Math.max(MIN_REPLY_LENGTH, MIN_LENGTH + optionBytes));
    out.put((byte) op).put((byte) htype).put((byte) hlen).put((byte) hops);
    out.putInt(xid).putShort((short) secs).putShort((short) flags);
    out.put(ciaddr.getAddress()).put(yiaddr.getAddress());
    out.put(siaddr.getAddress()).put(giaddr.getAddress());
    out.put(chaddr);
    out.put(Arrays.copyOf(sname.getBytes(StandardCharsets.US_ASCII), SNAME_LENGTH));
    out.put(Arrays.copyOf(file.getBytes(StandardCharsets.US_ASCII), FILE_LENGTH));
    out.putInt(MAGIC_COOKIE);
    for (Map.Entry<Integer, byte[]> e : options.entrySet()) {
      byte[] value = e.getValue();
      int offset = 0;
      // Values longer than 255 bytes go out as several options of the same code (RFC 3396).
      do {
        int chunk = Math.min(255, value.length - offset);
        out.put(e.getKey().byteValue()).put((byte) chunk).put(value, offset, chunk);
        offset += chunk;
      } while (offset < value.length);
    }
    out.put((byte) DhcpOption.END);
    return out.array();
  }

  public Optional<byte[]> option(int code) {
    byte[] value = options.get(code);
    return value == null ? Optional.empty() : Optional.of(value.clone());
  }

  public Optional<String> optionString(int code) {
    return option(code).map(v -> new String(v, StandardCharsets.US_ASCII));
  }

  /** Option 53, when present and one byte long. */
  public OptionalInt messageType() {
    byte[] value = options.get(DhcpOption.MESSAGE_TYPE);
    return value == null || value.length != 1
        ? OptionalInt.empty()
        : OptionalInt.of(value[0] & 0xff);
  }

  /** The client's Ethernet address in lower case with colons, or empty for other hardware. */
  public Optional<String> mac() {
    if (htype != HTYPE_ETHERNET || hlen != 6) {
      return Optional.empty();
    }
    return Optional.of(HexFormat.ofDelimiter(":").formatHex(chaddr, 0, 6));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] joined = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, joined, a.length, b.length);
    return joined;
  }

  private static String cString(ByteBuffer in, int length) throws MalformedPacketException {
    byte[] raw = new byte[length];
    in.get(raw);
    int end = 0;
    while (end < length && raw[end] != 0) {
      end++;
    }
    for (int i = 0; i < end; i++) {
      if (raw[i] < 0x20 || raw[i] > 0x7e) {
        throw new MalformedPacketException(
            Reason.BAD_FIELD,
            (length == SNAME_LENGTH ? "sname" : "file") + ": byte " + i + " is not printable");
      }
    }
    return new String(raw, 0, end, StandardCharsets.US_ASCII);
  }

  private static String checkField(String name, String value, int length) {
    String v = value == null ? "" : value;
    if (v.getBytes(StandardCharsets.US_ASCII).length > length || !v.matches("[\\x20-\\x7e]*")) {
      throw new IllegalArgumentException(
          name + ": at most " + length + " printable ASCII characters");
    }
    return v;
  }

  private static void checkByte(String name, int value) {
    if (value < 0 || value > 0xff) {
      throw new IllegalArgumentException(name + ": must fit one byte (got " + value + ")");
    }
  }

  private static Inet4Address address(ByteBuffer in) {
    byte[] raw = new byte[4];
    in.get(raw);
    return address(raw);
  }

  static Inet4Address address(byte[] raw) {
    try {
      return (Inet4Address) InetAddress.getByAddress(raw);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("address: 4 bytes expected", e);
    }
  }
}
