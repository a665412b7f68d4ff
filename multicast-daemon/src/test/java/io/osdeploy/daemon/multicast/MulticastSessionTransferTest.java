package io.osdeploy.daemon.multicast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.api.v1alpha1.DistributionPointMulticast;
import io.osdeploy.transfer.receive.MulticastReceiver;
import io.osdeploy.transfer.receive.ReceiveResult;
import io.osdeploy.transfer.wire.JoinTicket;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real sessions over loopback: receivers join by ticket, one of them late. */
class MulticastSessionTransferTest {
  @TempDir Path dir;

  @Test
  void lateJoinerWithATicketGetsEveryBlockAndTheSessionFreesItsGroup() throws Exception {
    NetworkInterface lo = NetworkInterface.getByName("lo");
    byte[] bytes = new byte[6 << 20];
    new Random(7).nextBytes(bytes);
    Path image = dir.resolve("win11.wim");
    Files.write(image, bytes);
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    MulticastImage img = new MulticastImage("win11", image, bytes.length, sha, false);

    DistributionPointMulticast dp = new DistributionPointMulticast();
    DistributionPointMulticast.AddressRange a = new DistributionPointMulticast.AddressRange();
    a.setStart("239.77.1.1");
    a.setEnd("239.77.1.20");
    dp.setAddressRange(a);
    DistributionPointMulticast.PortRange p = new DistributionPointMulticast.PortRange();
    int port = 20000 + new Random().nextInt(30000);
    p.setStart(port);
    p.setEnd(port + 20);
    dp.setPortRange(p);
    dp.setMaxRateMbps(80); // the first pass takes about 0.6 s: time to join late
    try (MulticastSessions sessions =
        new MulticastSessions(
            MulticastSettings.from(dp),
            lo,
            name -> Optional.ofNullable(name.equals("win11") ? img : null))) {
      JoinTicket first = sessions.join("win11", "client-1");
      assertEquals(JoinTicket.StartState.RUNNING, first.state(), "minClients defaults to 1");
      try (MulticastReceiver r1 =
          new MulticastReceiver(
              MulticastReceiver.Config.fromTicket(first, lo), dir.resolve("r1"))) {
        CompletableFuture<ReceiveResult> f1 = r1.start();
        Thread.sleep(250);
        JoinTicket late = sessions.join("win11", "client-2");
        assertEquals(JoinTicket.StartState.RUNNING, late.state());
        assertEquals(first.sessionId(), late.sessionId());
        try (MulticastReceiver r2 =
            new MulticastReceiver(
                MulticastReceiver.Config.fromTicket(late, lo), dir.resolve("r2"))) {
          CompletableFuture<ReceiveResult> f2 = r2.start();
          ReceiveResult res1 = f1.get(60, TimeUnit.SECONDS);
          ReceiveResult res2 = f2.get(60, TimeUnit.SECONDS);
          assertEquals(ReceiveResult.Outcome.VERIFIED, res1.outcome());
          assertEquals(ReceiveResult.Outcome.VERIFIED, res2.outcome());
          assertEquals(sha, MulticastTransferTest.sha256Hex(dir.resolve("r1")));
          assertEquals(sha, MulticastTransferTest.sha256Hex(dir.resolve("r2")));
          assertTrue(res2.naksSent() > 0, "the late joiner asked for the start it missed");
        }
      }
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> sessions.metrics().sessionsCompleted() == 1);
      MulticastMetrics m = sessions.metrics();
      assertEquals(1, m.sessionsAllVerified());
      assertEquals(1, m.lateJoins());
      assertEquals(0, m.sessionsActive());
      assertTrue(m.repairBytes() > 0);
      assertTrue(m.bytesSent() > bytes.length);
      assertTrue(sessions.sessions().isEmpty());
    }
  }
}
