package io.osdeploy.daemon.pxe;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TftpServerTest {
  @TempDir Path dir;
  private TftpServer server;
  private InetSocketAddress address;
  private byte[] undionly;
  private byte[] efi;

  @BeforeEach
  void start() throws Exception {
    Random random = new Random(7);
    undionly = new byte[70_001];
    random.nextBytes(undionly);
    efi = new byte[1024]; // a whole number of 512-byte blocks: ends with an empty block
    random.nextBytes(efi);
    Files.write(dir.resolve("undionly.kpxe"), undionly);
    Files.write(dir.resolve("snponly.efi"), efi);
    Files.writeString(dir.resolve("secret.txt"), "not served");
    server =
        new TftpServer(
            new TftpSettings(
                dir,
                Set.of("undionly.kpxe", "snponly.efi", "ipxe.efi"),
                1468,
                8,
                Duration.ofMillis(200),
                Duration.ofSeconds(2),
                5,
                1 << 20,
                2));
    address = server.start("127.0.0.1", 0);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void transfersWithNegotiatedBlockSizeWindowAndSize() throws Exception {
    Map<String, String> options = new LinkedHashMap<>();
    options.put("blksize", "1468");
    options.put("tsize", "0");
    options.put("windowsize", "4");
    options.put("multicast", "");
    try (TftpTestClient client = new TftpTestClient(address)) {
      TftpTestClient.Result result = client.read("undionly.kpxe", options);

      assertNull(result.error());
      assertArrayEquals(undionly, result.content());
      assertEquals(Map.of("blksize", "1468", "tsize", "70001", "windowsize", "4"), result.oack());
      assertNotEquals(address, result.peer(), "each transfer has its own port");
    }
    await().until(() -> server.metrics().transfersCompleted() == 1);
    assertEquals(70_001, server.metrics().bytesSent());
  }

  @Test
  void capsBlockSizeAndWindowAtTheServersLimits() throws Exception {
    try (TftpTestClient client = new TftpTestClient(address)) {
      TftpTestClient.Result result =
          client.read("undionly.kpxe", Map.of("blksize", "9000", "windowsize", "64"));
      assertEquals(Map.of("blksize", "1468", "windowsize", "8"), result.oack());
      assertArrayEquals(undionly, result.content());
    }
  }

  @Test
  void plainRfc1350ReadEndsWithAnEmptyBlock() throws Exception {
    try (TftpTestClient client = new TftpTestClient(address)) {
      TftpTestClient.Result result = client.read("/snponly.efi", Map.of());
      assertEquals(Map.of(), result.oack());
      assertArrayEquals(efi, result.content());
    }
    await().until(() -> server.metrics().transfersCompleted() == 1);
  }

  @Test
  void sendsTheWindowAgainWhenNoAckComes() throws Exception {
    try (TftpTestClient client = new TftpTestClient(address)) {
      client.dropFirst = 1;
      TftpTestClient.Result result = client.read("undionly.kpxe", Map.of("blksize", "1024"));
      assertArrayEquals(undionly, result.content());
    }
    assertTrue(server.metrics().retransmissions() >= 1);
  }

  @Test
  void refusesTraversalUnknownAndUnlistedFiles() throws Exception {
    assertError(TftpPacket.Error.ACCESS_VIOLATION, "../secret.txt");
    assertError(TftpPacket.Error.ACCESS_VIOLATION, "/etc/passwd");
    assertError(TftpPacket.Error.ACCESS_VIOLATION, "..");
    assertError(TftpPacket.Error.FILE_NOT_FOUND, "secret.txt");
    assertError(TftpPacket.Error.FILE_NOT_FOUND, "ipxe.efi"); // listed, but not in the directory
    assertEquals(3, server.metrics().traversalRefused());
    assertEquals(2, server.metrics().notFound());
    assertServesStill();
  }

  @Test
  void refusesWriteRequests() throws Exception {
    try (TftpTestClient client = new TftpTestClient(address)) {
      client.sendRaw(new TftpPacket.Request(true, "undionly.kpxe", "octet", Map.of()).encode());
      TftpPacket.Error error = assertInstanceOf(TftpPacket.Error.class, client.receive());
      assertEquals(TftpPacket.Error.ACCESS_VIOLATION, error.code());
    }
    assertEquals(1, server.metrics().writeRefused());
    assertArrayEquals(undionly, Files.readAllBytes(dir.resolve("undionly.kpxe")));
    assertServesStill();
  }

  @Test
  void refusesMalformedOversizedAndBadOptionRequests() throws Exception {
    try (TftpTestClient client = new TftpTestClient(address)) {
      client.sendRaw("\0\1undionly.kpxe".getBytes(StandardCharsets.US_ASCII)); // no terminator
      assertEquals(TftpPacket.Error.ILLEGAL_OPERATION, error(client).code());
      byte[] big = new byte[600];
      Arrays.fill(big, (byte) 'a');
      big[1] = 1;
      client.sendRaw(big);
      assertEquals(TftpPacket.Error.ILLEGAL_OPERATION, error(client).code());
      client.sendRaw(new byte[] {0, 9, 0, 0});
      assertEquals(TftpPacket.Error.ILLEGAL_OPERATION, error(client).code());
      client.sendRaw(
          new TftpPacket.Request(false, "undionly.kpxe", "octet", Map.of("blksize", "abc"))
              .encode());
      TftpPacket.Error refused = error(client);
      assertEquals(TftpPacket.Error.OPTION_REFUSED, refused.code());
      assertTrue(refused.message().startsWith("option blksize"), refused.message());
    }
    assertEquals(4, server.metrics().malformed());
    assertServesStill();
  }

  @Test
  void declinesATimeoutLongerThanTheServersCap() throws Exception {
    try (TftpTestClient client = new TftpTestClient(address)) {
      TftpTestClient.Result result =
          client.read("undionly.kpxe", Map.of("blksize", "1468", "timeout", "255"));
      assertEquals(Map.of("blksize", "1468"), result.oack(), "255 s is declined");
      assertArrayEquals(undionly, result.content());
    }
    try (TftpTestClient client = new TftpTestClient(address)) {
      TftpTestClient.Result result =
          client.read("undionly.kpxe", Map.of("blksize", "1468", "timeout", "1"));
      assertEquals(Map.of("blksize", "1468", "timeout", "1"), result.oack());
    }
  }

  @Test
  void answersServerBusyBeyondItsTransfersAndServesOnceTheyEnd() throws Exception {
    // Two transfers that never acknowledge hold both of the server's slots until they give up.
    List<TftpTestClient> stalled = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        TftpTestClient client = new TftpTestClient(address);
        stalled.add(client);
        client.sendRaw(
            new TftpPacket.Request(false, "undionly.kpxe", "octet", Map.of("blksize", "512"))
                .encode());
      }
      await().until(() -> server.transfers() == 2);
      try (TftpTestClient third = new TftpTestClient(address)) {
        TftpPacket.Error busy = third.read("snponly.efi", Map.of()).error();
        assertEquals(TftpPacket.Error.NOT_DEFINED, busy.code());
        assertEquals("server busy", busy.message());
      }
      assertEquals(1, server.metrics().busyRefused());
    } finally {
      for (TftpTestClient client : stalled) {
        client.close();
      }
    }
    await().until(() -> server.transfers() == 0);
    assertServesStill();
  }

  @Test
  void aChangedFileIsServedAsItIsNow() throws Exception {
    assertServesStill();
    byte[] rebuilt = new byte[5_000];
    new java.util.Random(3).nextBytes(rebuilt);
    Files.write(dir.resolve("undionly.kpxe"), rebuilt);
    try (TftpTestClient client = new TftpTestClient(address)) {
      assertArrayEquals(rebuilt, client.read("undionly.kpxe", Map.of()).content());
    }
  }

  private static TftpPacket.Error error(TftpTestClient client) throws Exception {
    return assertInstanceOf(TftpPacket.Error.class, client.receive());
  }

  private void assertError(int code, String name) throws Exception {
    try (TftpTestClient client = new TftpTestClient(address)) {
      TftpTestClient.Result result = client.read(name, Map.of("tsize", "0"));
      assertEquals(code, result.error().code(), name + ": " + result.error().message());
      assertEquals(0, result.content().length);
    }
  }

  private void assertServesStill() throws Exception {
    try (TftpTestClient client = new TftpTestClient(address)) {
      assertArrayEquals(undionly, client.read("undionly.kpxe", Map.of()).content());
    }
  }
}
