package io.osdeploy.daemon.report;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.api.v1alpha1.ImageState.Phase;
import io.osdeploy.api.v1alpha1.NodeStatus;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NodeReporterTest {
  /** An API server's view of the one entry, in memory: what was read and applied. */
  static final class RecordingWriter implements NodeStatusWriter {
    final List<String> applied = new CopyOnWriteArrayList<>();
    volatile NodeStatus onServer;

    @Override
    public Optional<NodeStatus> read(String namespace, String distributionPoint, String node) {
      return Optional.ofNullable(onServer);
    }

    @Override
    public void apply(NodeReport report) {
      applied.add(NodeStatusApply.body(report));
      onServer = report.node();
    }
  }

  private final RecordingWriter writer = new RecordingWriter();
  private final AtomicReference<NodeStatus> current = new AtomicReference<>();
  private NodeReporter reporter;

  @AfterEach
  void close() {
    reporter.close();
  }

  /** With an hour between progress writes, what is written does not depend on timing. */
  private NodeReporter reporter() {
    reporter =
        new NodeReporter(
            writer,
            () -> Optional.ofNullable(current.get()).map(n -> new NodeReport("site", "berlin", n)),
            Duration.ofHours(1));
    return reporter;
  }

  @Test
  void writesOnceAndNotAgainWhenNothingChanged() {
    reporter();
    current.set(ReportDecisionTest.node(verified()));
    for (int i = 0; i < 5; i++) {
      reporter.changed();
    }
    await().until(() -> writer.applied.size() == 1);
    settle();
    assertEquals(1, writer.applied.size());
  }

  @Test
  void writesNothingAfterARestartWhenTheServerHasTheSameEntry() {
    writer.onServer = ReportDecisionTest.node(verified());
    reporter();
    current.set(ReportDecisionTest.node(verified()));
    reporter.changed();
    settle();
    assertEquals(List.of(), writer.applied);
  }

  @Test
  void writesNothingWithoutAConfiguration() {
    reporter();
    reporter.changed();
    settle();
    assertEquals(List.of(), writer.applied);
  }

  @Test
  void holdsBackProgressButWritesAPhaseChangeAtOnce() {
    reporter();
    current.set(ReportDecisionTest.node(ReportDecisionTest.downloading(1)));
    reporter.changed();
    await().until(() -> writer.applied.size() == 1);

    for (long bytes = 2; bytes < 10; bytes++) {
      current.set(ReportDecisionTest.node(ReportDecisionTest.downloading(bytes)));
      reporter.changed();
    }
    settle();
    assertEquals(1, writer.applied.size());

    current.set(ReportDecisionTest.node(verified()));
    reporter.changed();
    await().until(() -> writer.applied.size() == 2);
    assertEquals(Phase.Verified, writer.onServer.getImages().get(0).getState());
  }

  @Test
  void writesProgressOnceTheIntervalHasPassed() {
    reporter =
        new NodeReporter(
            writer,
            () -> Optional.ofNullable(current.get()).map(n -> new NodeReport("site", "berlin", n)),
            Duration.ofMillis(100));
    current.set(ReportDecisionTest.node(ReportDecisionTest.downloading(1)));
    reporter.changed();
    await().until(() -> writer.applied.size() == 1);

    current.set(ReportDecisionTest.node(ReportDecisionTest.downloading(5)));
    reporter.changed();

    await().until(() -> writer.applied.size() == 2);
    assertEquals(5L, writer.onServer.getImages().get(0).getBytes());
  }

  private static ImageState verified() {
    ImageState state = new ImageState("win11", "a".repeat(64), Phase.Verified);
    state.setBytes(10L);
    state.setTotalBytes(10L);
    return state;
  }

  /** Waits until the reporter has evaluated every change handed to it so far. */
  private void settle() {
    reporter.awaitIdle();
  }
}
