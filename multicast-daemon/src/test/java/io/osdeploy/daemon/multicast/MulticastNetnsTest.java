package io.osdeploy.daemon.multicast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.osdeploy.daemon.testing.Prerequisites;
import io.osdeploy.transfer.wire.WireFormat;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real multicast between Linux network namespaces: a sender and four receivers (two with 5% random
 * loss from nftables, one joining late), each its own JVM, on a bridge; an attacker namespace
 * injects forged DATA. Needs root, {@code ip}, {@code nft} and {@code tc}.
 */
@Tag("netns")
class MulticastNetnsTest {
  private static final int IMAGE_BYTES = 32 << 20;
  private static final int LINK_MBIT = 300;
  private static final int SMALL_IMAGE_BYTES = 4 * 1024 * 1024 + 333;
  private static final int SENDER_MBPS = 260;
  private static final int OUTRUN_SENDER_MBPS = 400;
  private static final int OUTRUN_LINK_MBIT = 120;
  private static final ObjectMapper JSON = new ObjectMapper();

  // A failed run keeps its nodes' logs and results for reading.
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  @Test
  void fourReceiversGetTheExactImageOverLossyLinksAndForgedPacketsAreDropped() throws Exception {
    Prerequisites.require(Prerequisites.root(), "root (network namespaces)");
    for (String tool : new String[] {"ip", "nft", "tc"}) {
      Prerequisites.require(
          Prerequisites.onPath(tool), tool + " (apt-get install iproute2 nftables)");
    }
    byte[] bytes = new byte[IMAGE_BYTES];
    new Random().nextBytes(bytes);
    Path image = dir.resolve("image.wim");
    Files.write(image, bytes);
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    bytes = null;

    List<Process> processes = new ArrayList<>();
    try (NetnsTopology net = new NetnsTopology()) {
      String s = net.addNode("s");
      List<String> receivers = List.of("r1", "r2", "r3", "r4");
      List<String> receiverNs = new ArrayList<>();
      for (String r : receivers) {
        receiverNs.add(net.addNode(r));
      }
      String attacker = net.addNode("x");
      net.addLoss(receiverNs.get(0), 50);
      net.addLoss(receiverNs.get(1), 50);
      net.capRate(s, LINK_MBIT);
      long txBefore = net.txBytes(s);

      for (int i = 0; i < receivers.size(); i++) {
        processes.add(
            node(receiverNs.get(i), receivers.get(i), "receive", dir.toString(), receivers.get(i)));
      }
      NetnsNode.awaitWaiting(dir, receivers);
      // The attacker starts when the last ticket is out, so every receiver is listening.
      processes.add(node(attacker, "x", "attack", dir.toString(), "r4", "600"));
      List<String> send = new ArrayList<>(List.of("send", image.toString(), sha, dir.toString()));
      // Three clients start the session; r4 joins 400 ms into the first pass: a late joiner.
      send.addAll(List.of(String.valueOf(SENDER_MBPS), "3", "400"));
      send.addAll(receivers);
      Process sender = node(s, "s", send.toArray(String[]::new));
      processes.add(sender);
      for (Process p : processes) {
        assertTrue(p.waitFor(4, TimeUnit.MINUTES), "a node did not finish in time");
      }
      for (int i = 0; i < processes.size(); i++) {
        assertEquals(0, processes.get(i).exitValue(), "node exit status; logs in " + dir);
      }
      long onWire = net.txBytes(s) - txBefore;

      JsonNode metrics = JSON.readTree(dir.resolve("sender.json").toFile());
      for (String r : receivers) {
        JsonNode res = JSON.readTree(dir.resolve(r + ".result.json").toFile());
        assertEquals("VERIFIED", res.get("outcome").asText(), r);
        assertEquals(sha, sha256Hex(dir.resolve(r + ".img")), r + " holds the exact image");
        assertTrue(res.get("forgedRejected").asLong() > 0, r + " dropped forged datagrams");
      }
      JsonNode late = JSON.readTree(dir.resolve("r4.result.json").toFile());
      assertEquals("RUNNING", late.get("ticketState").asText(), "r4 joined a running session");
      // What the late joiner missed came back by its NAKs, or by parity sent for the others.
      if (late.get("missingAtFirstPassEnd").asLong() > 0) {
        assertTrue(
            late.get("naksSent").asLong() > 0 || late.get("rebuiltFromParity").asLong() > 0,
            "the late joiner recovered what it missed: " + late);
      }
      // Parity repairs a group where several receivers lost different blocks; where one receiver
      // lost a run of blocks (a receiver the busy machine did not schedule in time overflows its
      // socket buffer) DATA is the cheaper repair and no parity is sent at all. So: parity the
      // sender sent was used. That a loss pattern made for parity is repaired by it, and with
      // fewer packets than DATA, MulticastTransferTest shows with chosen losses.
      java.util.regex.Matcher end =
          java.util.regex.Pattern.compile("multicast send end .* parity=(\\d+) ")
              .matcher(read(dir.resolve("s.log")));
      assertTrue(end.find(), "the sender logged its end; logs in " + dir);
      long paritySent = Long.parseLong(end.group(1));
      long rebuilt = 0;
      for (String r : receivers) {
        rebuilt +=
            JSON.readTree(dir.resolve(r + ".result.json").toFile())
                .get("rebuiltFromParity")
                .asLong();
      }
      System.out.printf(
          "netns: %d parity datagrams sent, %d blocks rebuilt from parity%n", paritySent, rebuilt);
      if (paritySent > 0) {
        assertTrue(rebuilt > 0, "receivers rebuilt blocks from the parity sent; logs in " + dir);
      }
      assertEquals(1, metrics.get("sessionsAllVerified").asLong());
      assertEquals(1, metrics.get("lateJoins").asLong());
      double ratio = (double) onWire / IMAGE_BYTES;
      System.out.printf(
          "netns: on the sender's wire %d bytes = %.3f x image; sender counted %d, repair %d%n",
          onWire, ratio, metrics.get("bytesSent").asLong(), metrics.get("repairBytes").asLong());
      long lateBlocks = late.get("missingAtFirstPassEnd").asLong();
      double lateShare = (double) lateBlocks * WireFormat.DEFAULT_BLOCK_SIZE / IMAGE_BYTES;
      System.out.printf("netns: late joiner missed %.3f x image of the first pass%n", lateShare);
      // How close to one copy this gets is a benchmark figure (bench/multicast.sh): on two shared
      // cores the receivers' own socket drops come on top of the injected loss, and vary with the
      // machine's load (1.14x to 1.85x seen here). The test only rules out a sender that repeats
      // the image instead of repairing it.
      assertTrue(
          ratio < 2.5 + 1.07 * lateShare,
          "bytes on the wire " + ratio + " x image, late joiner's share " + lateShare);
    } finally {
      for (Process p : processes) {
        p.destroyForcibly();
      }
    }
  }

  /**
   * Eight receivers, every one behind the same random loss, one session started by count: each ends
   * with the exact image. Parity and NAK repair carry it; no unicast exists here.
   */
  @ParameterizedTest(name = "eight receivers at {0} per mille loss")
  @ValueSource(ints = {0, 20, 100})
  void eightReceiversEndWithTheExactImageAtEachLossRate(int lossPerMille) throws Exception {
    requireNetns();
    String sha = randomImage(SMALL_IMAGE_BYTES);
    List<Process> processes = new ArrayList<>();
    try (NetnsTopology net = new NetnsTopology()) {
      String s = net.addNode("s");
      List<String> receivers = new ArrayList<>();
      for (int i = 1; i <= 8; i++) {
        String ns = net.addNode("r" + i);
        if (lossPerMille > 0) {
          net.addLoss(ns, lossPerMille);
        }
        receivers.add("r" + i);
        processes.add(node(ns, "r" + i, "receive", dir.toString(), "r" + i));
      }
      net.capRate(s, LINK_MBIT);
      NetnsNode.awaitWaiting(dir, receivers);
      List<String> send =
          new ArrayList<>(
              List.of("send", dir.resolve("image.wim").toString(), sha, dir.toString()));
      send.addAll(List.of(String.valueOf(SENDER_MBPS), "8", "0"));
      send.addAll(receivers);
      processes.add(node(s, "s", send.toArray(String[]::new)));
      awaitAll(processes);
      for (String r : receivers) {
        JsonNode res = JSON.readTree(dir.resolve(r + ".result.json").toFile());
        assertEquals("VERIFIED", res.get("outcome").asText(), r + "; logs in " + dir);
        assertEquals(sha, sha256Hex(dir.resolve(r + ".img")), r + " holds the exact image");
      }
      JsonNode metrics = JSON.readTree(dir.resolve("sender.json").toFile());
      assertEquals(1, metrics.get("sessionsAllVerified").asLong());
      assertTrue(read(dir.resolve("s.log")).contains("why=minClients reached"));
    } finally {
      processes.forEach(Process::destroyForcibly);
    }
  }

  /**
   * A receiver behind a link slower than the sender's rate: it says so within the first pass
   * (STATUS CONGESTED) and the sender slows down then, instead of sending most of the image into a
   * link that drops it and finding out at the pass's end.
   */
  @Test
  void aSenderOutrunningItsReceiverSlowsDownWithinThePass() throws Exception {
    requireNetns();
    int size = 64 << 20;
    String sha = randomImage(size);
    List<Process> processes = new ArrayList<>();
    try (NetnsTopology net = new NetnsTopology()) {
      String s = net.addNode("s");
      String r = net.addNode("r1");
      net.capLinkTo("r1", OUTRUN_LINK_MBIT);
      processes.add(node(r, "r1", "receive", dir.toString(), "r1"));
      NetnsNode.awaitWaiting(dir, List.of("r1"));
      long txBefore = net.txBytes(s);
      List<String> send =
          new ArrayList<>(
              List.of("send", dir.resolve("image.wim").toString(), sha, dir.toString()));
      send.addAll(List.of(String.valueOf(OUTRUN_SENDER_MBPS), "1", "0", "r1"));
      processes.add(node(s, "s", send.toArray(String[]::new)));
      awaitAll(processes);
      double ratio = (double) (net.txBytes(s) - txBefore) / size;
      JsonNode res = JSON.readTree(dir.resolve("r1.result.json").toFile());
      assertEquals("VERIFIED", res.get("outcome").asText(), "logs in " + dir);
      assertEquals(sha, sha256Hex(dir.resolve("r1.img")));
      assertTrue(res.get("congestedReports").asLong() > 0, "r1 said it was outrun: " + res);
      System.out.printf("netns: outrun receiver, on the sender's wire %.3f x image%n", ratio);
      // Heeding loss at a pass's end only, the sender sends the first pass at more than three times
      // what the link carries and most of it again: about 2.0 copies here. Slowing within the pass
      // loses little more than what went out before the first reports came back: about 1.25.
      assertTrue(ratio < 1.6, "bytes on the wire " + ratio + " x image; logs in " + dir);
    } finally {
      processes.forEach(Process::destroyForcibly);
    }
  }

  /** Fewer receivers than minClients join: the session starts when maxWaitSeconds have passed. */
  @Test
  void aSessionShortOfItsClientsStartsAfterItsMaximumWait() throws Exception {
    requireNetns();
    String sha = randomImage(SMALL_IMAGE_BYTES);
    List<Process> processes = new ArrayList<>();
    try (NetnsTopology net = new NetnsTopology()) {
      String s = net.addNode("s");
      for (String r : List.of("r1", "r2")) {
        processes.add(node(net.addNode(r), r, "receive", dir.toString(), r));
      }
      NetnsNode.awaitWaiting(dir, List.of("r1", "r2"));
      List<String> send =
          new ArrayList<>(
              List.of("send", dir.resolve("image.wim").toString(), sha, dir.toString()));
      // Eight clients wanted, two come; the wait is three seconds.
      send.addAll(List.of(String.valueOf(SENDER_MBPS), "8", "0", "r1", "r2"));
      processes.add(nodeWith(List.of("-Dosdeploy.maxWaitSeconds=3"), s, "s", send));
      awaitAll(processes);
      for (String r : List.of("r1", "r2")) {
        JsonNode res = JSON.readTree(dir.resolve(r + ".result.json").toFile());
        assertEquals("VERIFIED", res.get("outcome").asText(), r);
        assertEquals("WAITING", res.get("ticketState").asText(), r + " joined before the start");
        assertEquals(sha, sha256Hex(dir.resolve(r + ".img")), r);
      }
      String log = read(dir.resolve("s.log"));
      assertTrue(log.contains("clients=2 why=maxWaitSeconds passed"), log);
    } finally {
      processes.forEach(Process::destroyForcibly);
    }
  }

  private static void requireNetns() {
    Prerequisites.require(Prerequisites.root(), "root (network namespaces)");
    for (String tool : new String[] {"ip", "nft", "tc"}) {
      Prerequisites.require(
          Prerequisites.onPath(tool), tool + " (apt-get install iproute2 nftables)");
    }
  }

  private String randomImage(int size) throws Exception {
    byte[] bytes = new byte[size];
    new Random().nextBytes(bytes);
    Files.write(dir.resolve("image.wim"), bytes);
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private void awaitAll(List<Process> processes) throws InterruptedException {
    for (Process p : processes) {
      assertTrue(p.waitFor(4, TimeUnit.MINUTES), "a node did not finish in time; logs in " + dir);
    }
    for (Process p : processes) {
      assertEquals(0, p.exitValue(), "node exit status; logs in " + dir);
    }
  }

  private static String read(Path file) throws java.io.IOException {
    return Files.readString(file);
  }

  private Process node(String ns, String name, String... args) throws Exception {
    return nodeWith(List.of(), ns, name, List.of(args));
  }

  private Process nodeWith(List<String> jvmOptions, String ns, String name, List<String> args)
      throws Exception {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.addAll(
        List.of("-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path")));
    cmd.add(NetnsNode.class.getName());
    cmd.addAll(args);
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(new File(dir.toFile(), name + ".log"))
        .start();
  }

  private static String sha256Hex(Path file) throws Exception {
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    try (var in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        d.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(d.digest());
  }
}
