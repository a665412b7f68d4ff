package io.osdeploy.transfer.wire;

import io.netty.buffer.ByteBuf;

/**
 * An authenticated datagram: its header and its plaintext payload. The caller owns {@code payload}
 * and must release it.
 */
public record Frame(FrameHeader header, ByteBuf payload) {}
