package io.osdeploy.daemon.multicast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.osdeploy.daemon.testing.Prerequisites;
import io.osdeploy.transfer.wire.Announce;
import io.osdeploy.transfer.wire.WireFormat;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an eavesdropper on the site's LAN can read of a session: sender, receiver and eavesdropper
 * each in a network namespace of their own on one bridge; the eavesdropper joins the session's
 * group with a plain socket and records every datagram. With {@code multicast.encrypt} no 32 bytes
 * in a row of the image appear in anything it records; without, the image is there to read (the
 * control, which shows the eavesdropper hears the session at all). Needs root and {@code ip}.
 */
@Tag("netns")
class MulticastEncryptionNetnsTest {
  /** Numbered lines of readable text, then random bytes: 2 MiB each. */
  private static final int TEXT_BYTES = 2 << 20;

  private static final int RANDOM_BYTES = 2 << 20;
  private static final String LINE = "osdeploy confidential image, line %07d: readable text\n";
  private static final int WINDOW = 32;
  private static final int SENDER_MBPS = 80;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void anEavesdropperOnTheBridgeReadsNoImageBytesFromAnEncryptedSession() throws Exception {
    Prerequisites.require(Prerequisites.root(), "root (network namespaces)");
    Prerequisites.require(Prerequisites.onPath("ip"), "ip (apt-get install iproute2)");
    byte[] image = image();
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(image));
    Files.write(dir.resolve("image.wim"), image);
    ImageWindows windows = new ImageWindows(image);

    List<byte[]> plain = transfer("plain", sha, false);
    List<byte[]> encrypted = transfer("encrypted", sha, true);

    // The control: without encryption the eavesdropper reads the image, text and all.
    long plainExposed = plain.stream().filter(windows::anyIn).count();
    long blocks = Announce.ceilDiv(image.length, WireFormat.DEFAULT_BLOCK_SIZE);
    assertTrue(
        plainExposed > blocks / 2,
        plainExposed + " of " + plain.size() + " plain datagrams carry image bytes");
    assertTrue(contains(plain, "confidential image, line 0001234"), "readable text on the wire");

    // Encrypted: as many datagrams heard, not one with 32 image bytes in a row.
    long heard = encrypted.stream().mapToLong(d -> d.length).sum();
    assertTrue(
        heard > image.length, "the eavesdropper heard the session: " + heard + " bytes recorded");
    for (int i = 0; i < encrypted.size(); i++) {
      int at = windows.firstIn(encrypted.get(i));
      assertEquals(-1, at, "datagram " + i + " holds image bytes at offset " + at);
    }
    assertFalse(contains(encrypted, "confidential"), "no readable text on the wire");
    System.out.printf(
        "eavesdropper: plain session %d datagrams, %d with image bytes; encrypted session %d"
            + " datagrams (%d bytes), none with image bytes%n",
        plain.size(), plainExposed, encrypted.size(), heard);
  }

  /**
   * One session of the image from sender {@code s} to receiver {@code r}, with eavesdropper {@code
   * x} on the same bridge; returns what {@code x} recorded once the receiver verified the image.
   */
  private List<byte[]> transfer(String run, String sha, boolean encrypt) throws Exception {
    Path work = Files.createDirectories(dir.resolve(run));
    List<Process> processes = new ArrayList<>();
    try (NetnsTopology net = new NetnsTopology()) {
      String s = net.addNode("s");
      String r = net.addNode("r");
      String x = net.addNode("x");
      processes.add(node(work, r, "r", List.of(), "receive", work.toString(), "r"));
      processes.add(
          node(
              work,
              x,
              "x",
              List.of(),
              "sniff",
              work.toString(),
              "r",
              work.resolve("sniffed.bin").toString()));
      NetnsNode.awaitWaiting(work, List.of("r"));
      processes.add(
          node(
              work,
              s,
              "s",
              List.of("-Dosdeploy.encrypt=" + encrypt),
              "send",
              dir.resolve("image.wim").toString(),
              sha,
              work.toString(),
              String.valueOf(SENDER_MBPS),
              "1",
              "0",
              "r"));
      for (Process p : processes) {
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), "a node did not finish; logs in " + work);
        assertEquals(0, p.exitValue(), "node exit status; logs in " + work);
      }
      JsonNode received = JSON.readTree(work.resolve("r.result.json").toFile());
      assertEquals("VERIFIED", received.get("outcome").asText(), run + ": the receiver verified");
      assertEquals(sha, received.get("sha256").asText(), run);
      byte[] got = Files.readAllBytes(work.resolve("r.img"));
      assertEquals(
          sha, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(got)), run);
      return datagrams(work.resolve("sniffed.bin"));
    } finally {
      processes.forEach(Process::destroyForcibly);
    }
  }

  private static byte[] image() {
    ByteArrayOutputStream text = new ByteArrayOutputStream(TEXT_BYTES);
    for (int line = 0; text.size() < TEXT_BYTES; line++) {
      text.writeBytes(String.format(LINE, line).getBytes(StandardCharsets.US_ASCII));
    }
    byte[] image = Arrays.copyOf(text.toByteArray(), TEXT_BYTES + RANDOM_BYTES);
    byte[] random = new byte[RANDOM_BYTES];
    new Random(11).nextBytes(random);
    System.arraycopy(random, 0, image, TEXT_BYTES, RANDOM_BYTES);
    return image;
  }

  private static List<byte[]> datagrams(Path capture) throws Exception {
    List<byte[]> all = new ArrayList<>();
    try (DataInputStream in =
        new DataInputStream(new BufferedInputStream(Files.newInputStream(capture)))) {
      while (true) {
        int length;
        try {
          length = in.readInt();
        } catch (EOFException e) {
          return all;
        }
        all.add(in.readNBytes(length));
      }
    }
  }

  private static boolean contains(List<byte[]> datagrams, String text) {
    return datagrams.stream()
        .anyMatch(d -> new String(d, StandardCharsets.ISO_8859_1).contains(text));
  }

  private Process node(Path work, String ns, String name, List<String> jvmOptions, String... args)
      throws Exception {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.addAll(
        List.of("-Xmx256m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path")));
    cmd.add(NetnsNode.class.getName());
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(new File(work.toFile(), name + ".log"))
        .start();
  }

  /**
   * Every 32-byte window of an image, found again in any byte array: a rolling hash of each window,
   * sorted with the window's offset, and confirmed byte for byte on a hit.
   */
  static final class ImageWindows {
    private static final long BASE = 0x100000001B3L;
    private static final int POSITION_BITS = 24;
    private static final long POSITION_MASK = (1L << POSITION_BITS) - 1;

    private final byte[] image;
    private final long top;

    /** Hash (upper 40 bits) and offset (lower 24), sorted; one entry per distinct window. */
    private final long[] keys;

    ImageWindows(byte[] image) {
      if (image.length > POSITION_MASK) {
        throw new IllegalArgumentException("image too large for 24-bit offsets");
      }
      this.image = image;
      long power = 1;
      for (int i = 1; i < WINDOW; i++) {
        power *= BASE;
      }
      this.top = power;
      int count = image.length - WINDOW + 1;
      long[] all = new long[count];
      long h = hash(image, 0);
      for (int p = 0; p < count; p++) {
        all[p] = (h & ~POSITION_MASK) | p;
        if (p + WINDOW < image.length) {
          h = roll(h, image[p], image[p + WINDOW]);
        }
      }
      Arrays.sort(all);
      this.keys = distinct(all);
    }

    boolean anyIn(byte[] data) {
      return firstIn(data) >= 0;
    }

    /** The offset in {@code data} of the first window of the image in it, or -1. */
    int firstIn(byte[] data) {
      if (data.length < WINDOW) {
        return -1;
      }
      long h = hash(data, 0);
      for (int p = 0; ; p++) {
        if (find(h, data, p)) {
          return p;
        }
        if (p + WINDOW >= data.length) {
          return -1;
        }
        h = roll(h, data[p], data[p + WINDOW]);
      }
    }

    private boolean find(long h, byte[] data, int at) {
      long low = h & ~POSITION_MASK;
      int i = Arrays.binarySearch(keys, low);
      for (i = i >= 0 ? i : -i - 1; i < keys.length && (keys[i] & ~POSITION_MASK) == low; i++) {
        int position = (int) (keys[i] & POSITION_MASK);
        if (Arrays.equals(image, position, position + WINDOW, data, at, at + WINDOW)) {
          return true;
        }
      }
      return false;
    }

    /** Keeps one entry per distinct window content within each hash. */
    private long[] distinct(long[] sorted) {
      long[] kept = new long[sorted.length];
      int n = 0;
      int groupStart = 0;
      for (long key : sorted) {
        if (n > 0 && (kept[n - 1] & ~POSITION_MASK) != (key & ~POSITION_MASK)) {
          groupStart = n;
        }
        int p = (int) (key & POSITION_MASK);
        boolean seen = false;
        for (int j = groupStart; j < n && !seen; j++) {
          int q = (int) (kept[j] & POSITION_MASK);
          seen = Arrays.equals(image, p, p + WINDOW, image, q, q + WINDOW);
        }
        if (!seen) {
          kept[n++] = key;
        }
      }
      return Arrays.copyOf(kept, n);
    }

    private long hash(byte[] bytes, int from) {
      long h = 0;
      for (int i = from; i < from + WINDOW; i++) {
        h = h * BASE + (bytes[i] & 0xFF);
      }
      return h;
    }

    private long roll(long h, byte out, byte in) {
      return (h - (out & 0xFF) * top) * BASE + (in & 0xFF);
    }
  }
}
