package io.osdeploy.transfer.wire;

/** Sizes and constants of protocol version 3; docs/multicast-protocol.md is the reference. */
public final class WireFormat {
  public static final int MAGIC = 0x4F53444D; // "OSDM"
  public static final int VERSION = 3;
  public static final int HEADER_BYTES = 28;

  /** The HMAC trailer of every datagram but the sender's encrypted ones (their GCM tag does it). */
  public static final int TRAILER_BYTES = 16;

  public static final int GCM_TAG_BYTES = 16;

  /** Ethernet MTU 1500 - IPv4 20 - UDP 8 - header - trailer: one unfragmented frame. */
  public static final int MAX_PAYLOAD = 1500 - 20 - 8 - HEADER_BYTES - TRAILER_BYTES;

  /** DATA and PARITY carry 8 bytes of fields before the block bytes. */
  public static final int BLOCK_FIELDS_BYTES = 8;

  /** Small enough that an encrypted DATA datagram (with its GCM tag) still fits one frame. */
  public static final int MAX_BLOCK_SIZE = MAX_PAYLOAD - BLOCK_FIELDS_BYTES - GCM_TAG_BYTES;

  public static final int DEFAULT_BLOCK_SIZE = 1400;
  public static final int MIN_BLOCKS_PER_SECTION = 8;
  public static final int MAX_BLOCKS_PER_SECTION = 1024;
  public static final int DEFAULT_BLOCKS_PER_SECTION = 256;

  /** FEC group size: 64 blocks keeps decoding cheap and rows (128 per group) plentiful. */
  public static final int DEFAULT_FEC_GROUP_BLOCKS = 64;

  public static final int MAX_BITMAP_BYTES = MAX_BLOCKS_PER_SECTION / 8;
  public static final long MAX_SECTIONS = 1L << 22;
  public static final int MAX_RECEIVERS = 1024;
  public static final int MAX_NAME_BYTES = 255;

  /** An Ed25519 signature, appended to the payload of every message only the sender may send. */
  public static final int SIGNATURE_BYTES = 64;

  /** A section's digest in the join ticket: SHA-256 of the section's bytes, first 16 bytes. */
  public static final int SECTION_DIGEST_BYTES = 16;

  /** Header flag: the payload is AES-GCM ciphertext followed by its tag. */
  public static final int FLAG_ENCRYPTED = 1;

  /** Source id of the sender; receivers have non-zero ids. */
  public static final int SENDER_SOURCE_ID = 0;

  /** Bytes an IPv4 + UDP datagram adds on the wire; the token bucket counts them. */
  public static final int IP_UDP_OVERHEAD = 28;

  private WireFormat() {}
}
