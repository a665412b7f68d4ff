package io.osdeploy.daemon.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.api.v1alpha1.ImageState.Phase;
import io.osdeploy.api.v1alpha1.MulticastSessionState;
import io.osdeploy.api.v1alpha1.NodeStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReportDecisionTest {
  @Test
  void nothingWrittenYetIsWrittenNow() {
    assertEquals(ReportDecision.WRITE_NOW, ReportDecision.decide(null, node(downloading(1))));
  }

  @Test
  void theSameEntryIsNotWrittenAgain() {
    assertEquals(
        ReportDecision.NOTHING_CHANGED,
        ReportDecision.decide(node(downloading(5)), node(downloading(5))));
  }

  @Test
  void movingByteCountsAreProgressOnly() {
    assertEquals(
        ReportDecision.PROGRESS_ONLY,
        ReportDecision.decide(node(downloading(5)), node(downloading(6))));
  }

  private static NodeStatus withSession(MulticastSessionState.State state, int machines) {
    NodeStatus n = node(downloading(5));
    n.setMulticastSessions(
        List.of(
            new MulticastSessionState(
                "win11",
                state,
                machines,
                state == MulticastSessionState.State.Waiting ? 8 - machines : null,
                null)));
    return n;
  }

  @Test
  void machinesJoiningASessionAreProgressOnlyAndItsStartOrRepairIsWrittenNow() {
    assertEquals(
        ReportDecision.WRITE_NOW,
        ReportDecision.decide(
            node(downloading(5)), withSession(MulticastSessionState.State.Waiting, 1)),
        "a session opened");
    assertEquals(
        ReportDecision.PROGRESS_ONLY,
        ReportDecision.decide(
            withSession(MulticastSessionState.State.Waiting, 1),
            withSession(MulticastSessionState.State.Waiting, 2)));
    assertEquals(
        ReportDecision.WRITE_NOW,
        ReportDecision.decide(
            withSession(MulticastSessionState.State.Waiting, 7),
            withSession(MulticastSessionState.State.Sending, 8)));
    assertEquals(
        ReportDecision.WRITE_NOW,
        ReportDecision.decide(
            withSession(MulticastSessionState.State.Sending, 8),
            withSession(MulticastSessionState.State.Repairing, 8)));
    assertEquals(
        ReportDecision.WRITE_NOW,
        ReportDecision.decide(
            withSession(MulticastSessionState.State.Repairing, 8), node(downloading(5))),
        "the session ended");
  }

  @Test
  void aPhaseChangeIsWrittenNow() {
    ImageState verified = new ImageState("win11", "a".repeat(64), Phase.Verified);
    verified.setBytes(10L);
    verified.setTotalBytes(10L);
    assertEquals(
        ReportDecision.WRITE_NOW, ReportDecision.decide(node(downloading(9)), node(verified)));
  }

  @Test
  void aNewGenerationOrEndpointIsWrittenNow() {
    NodeStatus moved = node(downloading(5));
    moved.setEndpoint("http://10.0.0.6:9080");
    assertEquals(ReportDecision.WRITE_NOW, ReportDecision.decide(node(downloading(5)), moved));
    NodeStatus newer = node(downloading(5));
    newer.setConfigGeneration(8L);
    assertEquals(ReportDecision.WRITE_NOW, ReportDecision.decide(node(downloading(5)), newer));
  }

  static ImageState downloading(long bytes) {
    ImageState state = new ImageState("win11", "a".repeat(64), Phase.Downloading);
    state.setBytes(bytes);
    state.setTotalBytes(10L);
    return state;
  }

  static NodeStatus node(ImageState... images) {
    return NodeReport.nodeStatus("node-a", "0.1.0", "http://10.0.0.5:9080", 7, List.of(images));
  }
}
