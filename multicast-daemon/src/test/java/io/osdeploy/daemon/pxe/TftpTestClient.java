package io.osdeploy.daemon.pxe;

import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Arrays;
import java.util.Map;

/** A minimal TFTP reader for tests: RRQ with options, OACK, windows of DATA, ACKs. */
final class TftpTestClient implements AutoCloseable {
  /** What one read ended with. */
  record Result(
      byte[] content, Map<String, String> oack, TftpPacket.Error error, SocketAddress peer) {}

  private final InetSocketAddress server;
  private final DatagramSocket socket;

  /** Leave this many DATA packets unanswered and unread, to make the server send them again. */
  int dropFirst;

  TftpTestClient(InetSocketAddress server) throws Exception {
    this.server = server;
    this.socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
    socket.setSoTimeout(10_000);
  }

  void sendRaw(byte[] data) throws Exception {
    socket.send(new DatagramPacket(data, data.length, server));
  }

  TftpPacket receive() throws Exception {
    return receiveFrom().packet();
  }

  Result read(String name, Map<String, String> options) throws Exception {
    sendRaw(new TftpPacket.Request(false, name, "octet", options).encode());
    int blockSize = 512;
    int window = 1;
    Map<String, String> oack = Map.of();
    ByteArrayOutputStream content = new ByteArrayOutputStream();
    int expected = 1;
    int inWindow = 0;
    while (true) {
      Received r = receiveFrom();
      if (r.packet() instanceof TftpPacket.Error e) {
        return new Result(content.toByteArray(), oack, e, r.from());
      }
      if (r.packet() instanceof TftpPacket.OptionAck o) {
        oack = o.options();
        blockSize = Integer.parseInt(oack.getOrDefault("blksize", "512"));
        window = Integer.parseInt(oack.getOrDefault("windowsize", "1"));
        ack(0, r.from());
        continue;
      }
      TftpPacket.Data data = (TftpPacket.Data) r.packet();
      if (dropFirst > 0) {
        dropFirst--;
        continue;
      }
      if (data.block() != (expected & 0xffff)) {
        continue;
      }
      content.writeBytes(data.data());
      expected++;
      boolean last = data.data().length < blockSize;
      if (++inWindow == window || last) {
        ack(data.block(), r.from());
        inWindow = 0;
      }
      if (last) {
        return new Result(content.toByteArray(), oack, null, r.from());
      }
    }
  }

  private void ack(int block, SocketAddress to) throws Exception {
    byte[] ack = new TftpPacket.Ack(block).encode();
    socket.send(new DatagramPacket(ack, ack.length, to));
  }

  private record Received(TftpPacket packet, SocketAddress from) {}

  private Received receiveFrom() throws Exception {
    byte[] buf = new byte[TftpPacket.MAX_LENGTH];
    DatagramPacket p = new DatagramPacket(buf, buf.length);
    socket.receive(p);
    return new Received(
        TftpPacket.decode(Arrays.copyOf(buf, p.getLength()), TftpPacket.MAX_LENGTH),
        p.getSocketAddress());
  }

  @Override
  public void close() {
    socket.close();
  }
}
