package io.osdeploy.daemon.multicast;

import io.osdeploy.transfer.wire.DecodeException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** A running session's sending side as {@link MulticastSessions} sees it. */
interface SessionSender extends AutoCloseable {
  /** Starts one session's sender; the real one is {@link MulticastSender}. */
  @FunctionalInterface
  interface Factory {
    SessionSender start(MulticastSender.Config config, MulticastImage image) throws Exception;
  }

  /** See {@link MulticastSender#addExpectedReceiver()}. */
  boolean addExpectedReceiver();

  /** See {@link MulticastSender#receiverRejoined()}. */
  default void receiverRejoined() {}

  CompletableFuture<MulticastSender.Result> result();

  long bytesSent();

  long repairBytes();

  /** See {@link MulticastSender#pass()}. */
  default int pass() {
    return 0;
  }

  long naksReceived();

  Map<DecodeException.Reason, Long> rejectedByReason();

  @Override
  void close();
}
