package io.osdeploy.daemon.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.api.v1alpha1.MachineProgress;
import io.osdeploy.api.v1alpha1.ProgressReport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgressCollectorTest {
  private static final String UID = "6f1c2d3e-0000-4000-8000-000000000001";
  private static final String MAC_A = "52:54:00:00:00:0a";
  private static final String MAC_B = "52:54:00:00:00:0b";
  private static final Duration NEVER = Duration.ofHours(1);

  @TempDir Path dir;

  /** The deployments' status as the API would hold it, with every apply recorded. */
  private final Map<String, ProgressReport> stored = new HashMap<>();

  private final List<String> applied = new ArrayList<>();
  private final Map<String, String> uids = new HashMap<>(Map.of("win11-rollout", UID));
  private RuntimeException outage;
  private final List<ProgressCollector> collectors = new ArrayList<>();

  private final ProgressWriter writer =
      new ProgressWriter() {
        @Override
        public Optional<ProgressReport> read(String ns, String deployment, String uid, String node)
            throws DeploymentGone {
          check(deployment, uid);
          return Optional.ofNullable(stored.get(deployment));
        }

        @Override
        public void apply(String ns, String deployment, String uid, ProgressReport report)
            throws DeploymentGone {
          if (outage != null) {
            throw outage;
          }
          check(deployment, uid);
          applied.add(deployment);
          stored.put(deployment, report);
        }

        private void check(String deployment, String uid) throws DeploymentGone {
          if (!uid.equals(uids.get(deployment))) {
            throw new DeploymentGone(deployment);
          }
        }
      };

  private ProgressCollector collector() throws Exception {
    ProgressCollector c =
        new ProgressCollector(
            new ProgressJournal(dir.resolve("journal.jsonl")),
            writer,
            r ->
                r.deployment().equals("hidden-for-others") || !uids.containsKey(r.deployment())
                    ? Optional.empty()
                    : Optional.of(
                        new ProgressCollector.Targeted(
                            uids.get(r.deployment()), !r.mac().startsWith("02:"))),
            name -> name.equals("hidden-for-others") || uids.containsKey(name),
            () -> new ProgressCollector.Destination("site-a", "node-a"),
            Clock.fixed(Instant.parse("2026-11-23T10:00:00Z"), ZoneOffset.UTC));
    c.start(NEVER);
    collectors.add(c);
    return c;
  }

  @AfterEach
  void close() {
    collectors.forEach(ProgressCollector::close);
  }

  private static AgentReport report(String mac, MachineProgress.State state, int step) {
    return new AgentReport("win11-rollout", mac, null, step, state, "step " + step);
  }

  @Test
  void unknownComputersAreCappedAndListedMachinesNever() throws Exception {
    ProgressCollector c = collector();
    for (int i = 0; i < ProgressCollector.MAX_UNKNOWN_MACHINES; i++) {
      assertEquals(
          ProgressCollector.Outcome.ACCEPTED,
          c.accept(report(unknown(i), MachineProgress.State.Running, 0)));
    }
    AgentReport oneMore =
        report(unknown(ProgressCollector.MAX_UNKNOWN_MACHINES), MachineProgress.State.Running, 0);
    assertEquals(ProgressCollector.Outcome.TOO_MANY_UNKNOWN, c.accept(oneMore));
    // Those already tracked go on reporting, and a machine the target lists is always taken.
    assertEquals(
        ProgressCollector.Outcome.ACCEPTED,
        c.accept(report(unknown(7), MachineProgress.State.Running, 1)));
    assertEquals(
        ProgressCollector.Outcome.ACCEPTED,
        c.accept(report(MAC_A, MachineProgress.State.Running, 0)));
    assertEquals(1L, c.outcomes().get("too_many_unknown"));
  }

  @Test
  void reportsBeyondTheWaitingLimitAreAnsweredBusyAtOnce() throws Exception {
    ProgressCollector c = collector();
    List<java.util.concurrent.CompletableFuture<ProgressCollector.Outcome>> waiting =
        new java.util.ArrayList<>();
    java.util.concurrent.CompletableFuture<ProgressCollector.Outcome> busy;
    // Holding the collector stops its journaling thread at the first report: the rest wait.
    synchronized (c) {
      for (int i = 0; i < ProgressCollector.MAX_WAITING + 1; i++) {
        waiting.add(c.submit(report(MAC_A, MachineProgress.State.Running, i % 5)));
      }
      busy = c.submit(report(MAC_B, MachineProgress.State.Running, 0));
      assertEquals(ProgressCollector.Outcome.BUSY, busy.getNow(null), "answered without waiting");
    }
    for (var w : waiting) {
      assertEquals(
          ProgressCollector.Outcome.ACCEPTED, w.get(30, java.util.concurrent.TimeUnit.SECONDS));
    }
    assertEquals(1L, c.outcomes().get("busy"));
  }

  /** A made-up, locally administered MAC: a machine no target lists. */
  private static String unknown(int i) {
    return String.format("02:00:00:00:%02x:%02x", i >> 8, i & 0xff);
  }

  @Test
  void reportsAreBatchedIntoOneWriteHoldingEachMachinesLatest() throws Exception {
    ProgressCollector c = collector();
    assertEquals(
        ProgressCollector.Outcome.ACCEPTED,
        c.accept(report(MAC_A, MachineProgress.State.Running, 0)));
    c.accept(report(MAC_A, MachineProgress.State.Running, 1));
    c.accept(report(MAC_B, MachineProgress.State.Failed, 1));
    c.flush();
    assertEquals(List.of("win11-rollout"), applied);
    ProgressReport entry = stored.get("win11-rollout");
    assertEquals("node-a", entry.getNode());
    assertEquals(2, entry.getMachines().size());
    assertEquals(MAC_A, entry.getMachines().get(0).getMac());
    assertEquals(1, entry.getMachines().get(0).getStep());
    assertEquals(MachineProgress.State.Failed, entry.getMachines().get(1).getState());
    assertEquals("2026-11-23T10:00:00Z", entry.getMachines().get(1).getTime());

    c.flush();
    assertEquals(1, applied.size(), "nothing new: nothing written");
  }

  @Test
  void aCaptureIsWrittenWithTheMachinesReportsAndAReportDoesNotDropIt() throws Exception {
    ProgressCollector c = collector();
    c.accept(report(MAC_A, MachineProgress.State.Running, 0));
    io.osdeploy.api.v1alpha1.ImageCapture first = new io.osdeploy.api.v1alpha1.ImageCapture();
    first.setMac(MAC_A);
    first.setName("reference");
    first.setSha256("a".repeat(64));
    c.recordCapture("win11-rollout", UID, first);
    c.accept(report(MAC_A, MachineProgress.State.Running, 1));
    c.flush();
    ProgressReport entry = stored.get("win11-rollout");
    assertEquals(List.of(first), entry.getCaptures());
    assertEquals(1, entry.getMachines().get(0).getStep());

    io.osdeploy.api.v1alpha1.ImageCapture again = new io.osdeploy.api.v1alpha1.ImageCapture();
    again.setMac(MAC_A);
    again.setName("reference");
    again.setSha256("b".repeat(64));
    c.recordCapture("win11-rollout", UID, again);
    c.flush();
    assertEquals(List.of(again), stored.get("win11-rollout").getCaptures(), "replaced, not added");
  }

  @Test
  void aRestartReplaysTheJournalAndWritesOnlyWhatTheStatusLacks() throws Exception {
    ProgressCollector first = collector();
    first.accept(report(MAC_A, MachineProgress.State.Running, 0));
    first.flush();
    first.accept(report(MAC_A, MachineProgress.State.Succeeded, 3));
    // The daemon dies before the next flush: the success is only in the journal.
    collectors.remove(first);

    ProgressCollector second = collector();
    assertEquals(
        MachineProgress.State.Succeeded, second.machines("win11-rollout").get(0).getState());
    second.flush();
    assertEquals(2, applied.size());
    assertEquals(
        MachineProgress.State.Succeeded,
        stored.get("win11-rollout").getMachines().get(0).getState());

    ProgressCollector third = collector();
    third.flush();
    assertEquals(2, applied.size(), "the status already holds the journal: no write");
  }

  @Test
  void anApiOutageLosesNothing() throws Exception {
    ProgressCollector c = collector();
    outage = new IllegalStateException("connection refused");
    c.accept(report(MAC_A, MachineProgress.State.Failed, 2));
    c.flush();
    c.flush();
    assertTrue(stored.isEmpty());
    outage = null;
    c.flush();
    assertEquals(
        MachineProgress.State.Failed, stored.get("win11-rollout").getMachines().get(0).getState());
  }

  @Test
  void reportsForAGoneDeploymentAreDropped() throws Exception {
    ProgressCollector c = collector();
    c.accept(report(MAC_A, MachineProgress.State.Running, 0));
    uids.put("win11-rollout", "another-uid");
    c.flush();
    assertTrue(c.machines("win11-rollout").isEmpty());
    assertTrue(stored.isEmpty());
  }

  @Test
  void aDeploymentMadeAgainStartsFromNothing() throws Exception {
    ProgressCollector c = collector();
    c.accept(report(MAC_A, MachineProgress.State.Failed, 0));
    uids.put("win11-rollout", "new-uid");
    c.accept(report(MAC_B, MachineProgress.State.Running, 0));
    assertEquals(1, c.machines("win11-rollout").size());
    assertEquals(MAC_B, c.machines("win11-rollout").get(0).getMac());
  }

  @Test
  void unknownAndUntargetedReportsAreRefusedAndNotJournaled() throws Exception {
    ProgressCollector c = collector();
    assertEquals(
        ProgressCollector.Outcome.UNKNOWN_DEPLOYMENT,
        c.accept(new AgentReport("nowhere", MAC_A, null, 0, MachineProgress.State.Running, null)));
    assertEquals(
        ProgressCollector.Outcome.NOT_TARGETED,
        c.accept(
            new AgentReport(
                "hidden-for-others", MAC_A, null, 0, MachineProgress.State.Running, null)));
    c.flush();
    assertTrue(applied.isEmpty());
    assertTrue(new ProgressJournal(dir.resolve("journal.jsonl")).replay().isEmpty());
  }

  @Test
  void aTornLastLineIsSkippedAndTheRestReplayed() throws Exception {
    ProgressCollector first = collector();
    first.accept(report(MAC_A, MachineProgress.State.Running, 1));
    first.close();
    collectors.remove(first);
    Files.writeString(
        dir.resolve("journal.jsonl"),
        "{\"deployment\":\"win11-rollout\",\"uid\":\"" + UID + "\",\"progress\":{\"mac\":",
        StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
    ProgressCollector second = collector();
    assertEquals(1, second.machines("win11-rollout").size());
    assertEquals(1, second.machines("win11-rollout").get(0).getStep());
  }
}
