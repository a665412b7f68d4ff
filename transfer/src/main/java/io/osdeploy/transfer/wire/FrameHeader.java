package io.osdeploy.transfer.wire;

/** The fixed header of every datagram, after validation. */
public record FrameHeader(
    MessageType type, int flags, int sessionId, int sourceId, long sequence, int payloadLength) {

  public boolean encrypted() {
    return (flags & WireFormat.FLAG_ENCRYPTED) != 0;
  }
}
