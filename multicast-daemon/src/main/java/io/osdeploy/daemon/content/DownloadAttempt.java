package io.osdeploy.daemon.content;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An attempt queued on the download pool. {@link #finished()} completes once the attempt can no
 * longer touch the image's files: when its body returned, or at once when it was cancelled before
 * it started (a plain {@code Future.cancel} would never run it, and nothing would say so).
 */
final class DownloadAttempt {
  private final CompletableFuture<Void> finished = new CompletableFuture<>();
  private final AtomicBoolean claimed = new AtomicBoolean();
  private volatile Future<?> future;

  /**
   * Queues {@code body}, which must complete {@link #finished()} when it is done with the files.
   */
  void start(ExecutorService pool, Runnable body) {
    try {
      future =
          pool.submit(
              () -> {
                if (claimed.compareAndSet(false, true)) {
                  body.run();
                }
              });
    } catch (RejectedExecutionException e) {
      // The library is closing.
      claimed.set(true);
      finished.complete(null);
    }
  }

  CompletableFuture<Void> finished() {
    return finished;
  }

  /** Stops the attempt: it never starts, or its thread is interrupted. */
  void cancel() {
    if (claimed.compareAndSet(false, true)) {
      finished.complete(null);
    }
    Future<?> running = future;
    if (running != null) {
      running.cancel(true);
    }
  }
}
