package io.osdeploy.daemon.multicast;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.osdeploy.api.v1alpha1.DistributionPointMulticast;
import io.osdeploy.transfer.receive.MulticastReceiver;
import io.osdeploy.transfer.receive.ReceiveResult;
import io.osdeploy.transfer.wire.DataBlock;
import io.osdeploy.transfer.wire.DecodeException;
import io.osdeploy.transfer.wire.JoinTicket;
import io.osdeploy.transfer.wire.SenderSecrets;
import io.osdeploy.transfer.wire.SessionCodec;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.NetworkInterface;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One node of the namespace tests and benchmark, run as its own JVM with {@code ip netns exec} (a
 * JVM cannot move its threads into another network namespace). Tickets travel as JSON files,
 * standing in for the control endpoint.
 *
 * <pre>
 * send    IMAGE SHA256 DIR RATE_MBPS MIN_CLIENTS LATE_MS CLIENT...   (joins for every client)
 * receive DIR CLIENT                                                  (waits for DIR/CLIENT.json)
 * attack  DIR CLIENT COUNT                                            (forges DATA with a wrong key)
 * sniff   DIR CLIENT OUT                          (records every datagram of CLIENT's group to OUT)
 * </pre>
 *
 * <p>The sender's session is encrypted, as an image's is by default; {@code
 * -Dosdeploy.encrypt=false} makes it plain, as an image with {@code multicast.encrypt: false}.
 */
public final class NetnsNode {
  private static final ObjectMapper JSON = new ObjectMapper();

  private NetnsNode() {}

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "send" -> send(args);
      case "receive" -> receive(args);
      case "attack" -> attack(args);
      case "sniff" -> sniff(args);
      default -> throw new IllegalArgumentException("mode " + args[0]);
    }
    System.exit(0);
  }

  private static void send(String[] args) throws Exception {
    Path image = Path.of(args[1]);
    String sha = args[2];
    Path dir = Path.of(args[3]);
    int rate = Integer.parseInt(args[4]);
    int minClients = Integer.parseInt(args[5]);
    long lateMillis = Long.parseLong(args[6]);
    DistributionPointMulticast dp = new DistributionPointMulticast();
    DistributionPointMulticast.AddressRange a = new DistributionPointMulticast.AddressRange();
    a.setStart("239.192.7.1");
    a.setEnd("239.192.7.10");
    dp.setAddressRange(a);
    DistributionPointMulticast.PortRange p = new DistributionPointMulticast.PortRange();
    p.setStart(45000);
    p.setEnd(45009);
    dp.setPortRange(p);
    dp.setMaxRateMbps(rate);
    DistributionPointMulticast.SessionStart start = new DistributionPointMulticast.SessionStart();
    start.setMinClients(minClients);
    start.setMaxWaitSeconds(Integer.getInteger("osdeploy.maxWaitSeconds", 30));
    dp.setSessionStart(start);
    MulticastImage img =
        new MulticastImage(
            "image",
            image,
            Files.size(image),
            sha,
            !"false".equals(System.getProperty("osdeploy.encrypt")));
    NetworkInterface eth0 = NetworkInterface.getByName("eth0");
    try (MulticastSessions sessions =
        new MulticastSessions(
            MulticastSettings.from(dp),
            eth0,
            n -> Optional.ofNullable(img.name().equals(n) ? img : null))) {
      String startOn = System.getenv("OSDEPLOY_SEND_ON");
      if (startOn != null) {
        // As a distribution point's daemon is when machines come: up, the image verified and its
        // sections digested. The benchmark's clock starts when it creates the file.
        sessions.prepare(img).get(5, TimeUnit.MINUTES);
        writeAtomically(dir.resolve("sender.waiting"), new byte[0]);
        while (!Files.exists(Path.of(startOn))) {
          Thread.sleep(5);
        }
      }
      for (int i = 7; i < args.length; i++) {
        if (i - 7 == minClients) {
          Thread.sleep(lateMillis);
        }
        JoinTicket t = joinWhenDigested(sessions, args[i]);
        writeAtomically(dir.resolve(args[i] + ".json"), JSON.writeValueAsBytes(t));
      }
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      while (sessions.metrics().sessionsCompleted() < 1 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      writeAtomically(dir.resolve("sender.json"), JSON.writeValueAsBytes(sessions.metrics()));
    }
  }

  /** Joins, asking again while the image's section digests are still being computed. */
  private static JoinTicket joinWhenDigested(MulticastSessions sessions, String client)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (true) {
      try {
        return sessions.join("image", client);
      } catch (JoinRefusedException e) {
        if (e.reason() != JoinRefusedException.Reason.BUSY || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  private static void receive(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    String client = args[2];
    warmUp();
    // Up and waiting, as a booted agent is when it asks to join: tests start the sender now.
    writeAtomically(dir.resolve(client + ".waiting"), new byte[0]);
    JoinTicket ticket = awaitTicket(dir.resolve(client + ".json"));
    NetworkInterface eth0 = NetworkInterface.getByName("eth0");
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("ticketState", ticket.state().name());
    try (MulticastReceiver r =
        new MulticastReceiver(
            MulticastReceiver.Config.fromTicket(ticket, eth0), dir.resolve(client + ".img"))) {
      ReceiveResult res = r.start().get(5, TimeUnit.MINUTES);
      out.put("outcome", res.outcome().name());
      out.put("sha256", res.sha256Hex());
      out.put("naksSent", res.naksSent());
      out.put("rebuiltFromParity", res.blocksRebuiltFromParity());
      out.put("missingAtFirstPassEnd", res.missingAtFirstPassEnd());
      out.put("congestedReports", res.congestedReports());
      out.put("forgedRejected", r.rejected(DecodeException.Reason.AUTHENTICATION_FAILED));
    }
    writeAtomically(dir.resolve(client + ".result.json"), JSON.writeValueAsBytes(out));
  }

  private static void attack(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    // A sniffer learns group, port and session id from any datagram; the ticket is a shortcut.
    JoinTicket ticket = awaitTicket(dir.resolve(args[2] + ".json"));
    int count = Integer.parseInt(args[3]);
    // A host that never joined: it has none of the session's keys.
    SessionCodec forger =
        SessionCodec.forSender(
            SenderSecrets.generate(new SecureRandom()), (int) ticket.sessionId(), false);
    InetSocketAddress group = new InetSocketAddress(ticket.group(), ticket.port());
    try (MulticastSocket socket = new MulticastSocket()) {
      socket.setOption(StandardSocketOptions.IP_MULTICAST_IF, NetworkInterface.getByName("eth0"));
      byte[] zeros = new byte[ticket.blockSize()];
      for (int i = 0; i < count; i++) {
        ByteBuf d =
            forger.encode(
                UnpooledByteBufAllocator.DEFAULT,
                new DataBlock(0, i, Unpooled.wrappedBuffer(zeros)));
        byte[] bytes = ByteBufUtil.getBytes(d);
        d.release();
        socket.send(new DatagramPacket(bytes, bytes.length, group));
        Thread.sleep(2);
      }
    }
    writeAtomically(dir.resolve("attacker.json"), JSON.writeValueAsBytes(Map.of("sent", count)));
  }

  /**
   * An eavesdropper: a plain socket joined to the session's group, recording each datagram's UDP
   * payload (as {@code int length, bytes}) until the group has been silent for three seconds. Group
   * and port are in every datagram's IP and UDP headers; the ticket file is only a shortcut to
   * them, and nothing else of it (the secret least of all) is read.
   */
  private static void sniff(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    Path out = Path.of(args[3]);
    Path ticket = dir.resolve(args[2] + ".json");
    awaitTicket(ticket);
    JsonNode t = JSON.readTree(ticket.toFile());
    InetSocketAddress group = new InetSocketAddress(t.get("group").asText(), t.get("port").asInt());
    NetworkInterface eth0 = NetworkInterface.getByName("eth0");
    Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
    long datagrams = 0;
    try (MulticastSocket socket = new MulticastSocket(group.getPort());
        DataOutputStream capture =
            new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
      socket.setReceiveBufferSize(8 << 20);
      socket.joinGroup(group, eth0);
      socket.setSoTimeout((int) TimeUnit.MINUTES.toMillis(2));
      byte[] buffer = new byte[65536];
      while (true) {
        DatagramPacket p = new DatagramPacket(buffer, buffer.length);
        try {
          socket.receive(p);
        } catch (SocketTimeoutException e) {
          break;
        }
        capture.writeInt(p.getLength());
        capture.write(p.getData(), p.getOffset(), p.getLength());
        datagrams++;
        socket.setSoTimeout(3000);
      }
      socket.leaveGroup(group, eth0);
    }
    Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
    System.out.println("sniffed " + datagrams + " datagrams on " + group);
  }

  /**
   * Loads what a booted agent has loaded before it joins (JSON, the JDK's crypto, the datagram
   * transport), so that a JVM's start does not count as a receiver's join on a busy test machine.
   */
  private static void warmUp() throws Exception {
    JSON.readTree("{\"warm\":[1,\"up\"]}");
    javax.crypto.Mac.getInstance("HmacSHA256");
    javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
    java.security.KeyFactory.getInstance("Ed25519");
    io.osdeploy.transfer.net.DatagramTransport.ioHandlerFactory();
  }

  /** Waits until every one of {@code clients} runs {@code receive} and waits for its ticket. */
  static void awaitWaiting(Path dir, java.util.Collection<String> clients) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    for (String client : clients) {
      while (!Files.exists(dir.resolve(client + ".waiting"))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(client + " never started waiting for its ticket");
        }
        Thread.sleep(20);
      }
    }
  }

  private static JoinTicket awaitTicket(Path file) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!Files.exists(file)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no ticket at " + file);
      }
      Thread.sleep(5);
    }
    return JSON.readValue(file.toFile(), JoinTicket.class);
  }

  private static void writeAtomically(Path file, byte[] bytes) throws Exception {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.write(tmp, bytes);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
  }
}
