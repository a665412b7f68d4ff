package io.osdeploy.daemon.content;

import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.config.DaemonConfig;
import io.osdeploy.daemon.Durations;
import io.osdeploy.daemon.Threads;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's content library: holds a verified copy of every assigned image under the content path,
 * pulling what is missing over HTTP(S) on a small pool of download threads, retrying failures with
 * backoff, and removing what is no longer assigned. It serves only what it has verified, and keeps
 * serving it whatever fails elsewhere.
 *
 * <p>Every change of assignment, attempt result and retry runs on one control thread, so the slots
 * need no locks; downloads run on the pool and only publish their progress. Work on the files of
 * one image (an attempt, a clean-up) is chained so that two never overlap.
 */
public final class ContentLibrary implements VerifiedContent, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ContentLibrary.class);

  /** Progress is told to listeners at most this often per image; phase changes at once. */
  private static final long PROGRESS_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  private final String owner;
  private final ContentDirectory directory;
  private final ImageFetcher fetcher;
  private final RetryPolicy retryPolicy;
  private final ScheduledExecutorService control;
  private final ExecutorService downloads;
  private final Map<String, ImageSlot> slots = new ConcurrentHashMap<>();
  private final List<ContentListener> listeners = new CopyOnWriteArrayList<>();

  /** Per image: completes when no attempt or clean-up of its files is running (control thread). */
  private final Map<String, CompletableFuture<Void>> idle = new HashMap<>();

  private volatile boolean started;

  private ContentLibrary(Builder builder) {
    this.owner = builder.owner;
    this.directory = new ContentDirectory(builder.root);
    this.retryPolicy = builder.retryPolicy;
    this.control = Executors.newSingleThreadScheduledExecutor(Threads.named("content-control"));
    this.downloads =
        Executors.newFixedThreadPool(builder.parallelDownloads, Threads.named("content-download"));
    HttpClient http =
        builder.http != null
            ? builder.http
            : HttpClient.newBuilder()
                // One request per download, and no h2c upgrade offer that some plain-HTTP servers
                // mishandle; large sequential bodies gain nothing from HTTP/2.
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    this.fetcher =
        new ImageFetcher(http, directory, builder.stallTimeout, control, builder.userAgent);
  }

  public static Builder builder(Path root) {
    return new Builder(root);
  }

  /**
   * Makes the library hold exactly these images: starts what is new or changed, stops and deletes
   * what is no longer assigned. The first call also removes leftovers of earlier assignments.
   * Completes once the change is applied (downloads go on after that).
   */
  public CompletableFuture<Void> assign(List<DaemonConfig.Image> images) {
    List<DaemonConfig.Image> copy = List.copyOf(images);
    return CompletableFuture.runAsync(() -> apply(copy), control);
  }

  /** Whether the library has applied its first assignment. */
  public boolean started() {
    return started;
  }

  /** Each assigned image's state, by name. */
  public List<ImageState> snapshot() {
    return slots.values().stream()
        .sorted(Comparator.comparing(slot -> slot.name))
        .map(ImageSlot::toImageState)
        .toList();
  }

  @Override
  public Optional<VerifiedFile> verified(String image) {
    ImageSlot slot = slots.get(image);
    return slot == null ? Optional.empty() : Optional.ofNullable(slot.served);
  }

  public void addListener(ContentListener listener) {
    listeners.add(listener);
  }

  /** Stops downloads; partial files stay, so the next start resumes them. */
  @Override
  public void close() {
    downloads.shutdownNow();
    control.shutdownNow();
    try {
      downloads.awaitTermination(5, TimeUnit.SECONDS);
      control.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void apply(List<DaemonConfig.Image> images) {
    Map<String, DaemonConfig.Image> wanted = new LinkedHashMap<>();
    images.forEach(image -> wanted.put(image.getName(), image));
    for (ImageSlot slot : List.copyOf(slots.values())) {
      if (!wanted.containsKey(slot.name)) {
        retire(slot);
        slots.remove(slot.name);
        whenIdle(slot.name, () -> deleteIfUnassigned(slot.name));
      }
    }
    if (!started) {
      removeLeftovers(wanted.keySet());
    }
    for (DaemonConfig.Image image : wanted.values()) {
      ImageSlot current = slots.get(image.getName());
      if (current != null && current.sameContent(image)) {
        continue;
      }
      ImageSlot next = new ImageSlot(image);
      if (current != null) {
        log.info("{}: image {} changed; getting sha256 {}", owner, image.getName(), next.sha256);
        retire(current);
        next.served = current.served;
      }
      slots.put(next.name, next);
      whenIdle(next.name, () -> begin(next));
    }
    started = true;
    notifyListeners();
  }

  /** Folders of images that were assigned before this process started, and are no longer. */
  private void removeLeftovers(Set<String> wanted) {
    try {
      for (String image : directory.images()) {
        if (!wanted.contains(image)) {
          whenIdle(image, () -> deleteIfUnassigned(image));
        }
      }
    } catch (IOException e) {
      log.warn("{}: cannot list the content path {}", owner, directory.root(), e);
    }
  }

  private void deleteIfUnassigned(String image) {
    if (slots.containsKey(image)) {
      return;
    }
    try {
      int deleted = directory.tidy(image, Set.of());
      if (deleted > 0) {
        log.info("{}: deleted image {}, which is no longer assigned", owner, image);
      }
    } catch (IOException e) {
      log.warn("{}: cannot delete image {} from {}", owner, image, directory.root(), e);
    }
  }

  /** Uses a copy verified earlier, or starts getting one; runs when the image's files are idle. */
  private void begin(ImageSlot slot) {
    if (slot.retired) {
      return;
    }
    try {
      Optional<VerifiedFile> recorded = directory.recorded(slot.name, slot.sha256);
      if (recorded.isPresent()) {
        slot.verified(recorded.get());
        directory.tidy(slot.name, ContentDirectory.filesOf(slot.sha256, false));
        log.info("{}: image {} verified earlier (sha256 {})", owner, slot.name, slot.sha256);
        notifyListeners();
        return;
      }
      if (slot.served == null) {
        slot.served = directory.newestRecorded(slot.name).orElse(null);
      }
      Set<String> keep = new HashSet<>(ContentDirectory.filesOf(slot.sha256, true));
      if (slot.served != null) {
        keep.addAll(ContentDirectory.filesOf(slot.served.sha256(), false));
      }
      directory.tidy(slot.name, keep);
    } catch (IOException e) {
      finished(slot, null, DownloadFailure.disk(directory.imageDir(slot.name), e));
      return;
    }
    startAttempt(slot);
  }

  private void startAttempt(ImageSlot slot) {
    if (slot.retired) {
      return;
    }
    DownloadAttempt attempt = new DownloadAttempt();
    slot.attempt = attempt;
    // Joined with what is there: the task that called this completes only after it returns.
    idle.merge(slot.name, attempt.finished(), CompletableFuture::allOf);
    attempt.start(downloads, () -> attempt(slot, attempt.finished()));
  }

  /** Runs on a download thread; completes {@code done} once the result is applied. */
  private void attempt(ImageSlot slot, CompletableFuture<Void> done) {
    VerifiedFile file = null;
    DownloadFailure failure = null;
    try {
      file = fetcher.fetch(slot.spec, slot.partial, (bytes, total) -> progress(slot, bytes, total));
    } catch (DownloadFailure e) {
      failure = e;
    } catch (InterruptedException e) {
      // Cancelled: the slot was retired or the library is closing; nothing to report.
      done.complete(null);
      return;
    } catch (RejectedExecutionException e) {
      // The library closed while the attempt ran.
      done.complete(null);
      return;
    } catch (RuntimeException e) {
      log.error("{}: image {}: unexpected error", owner, slot.name, e);
      failure =
          new DownloadFailure(ImageState.WRITE_ERROR, "unexpected error: " + e.getMessage(), e);
    }
    VerifiedFile verified = file;
    DownloadFailure failed = failure;
    try {
      control.execute(
          () -> {
            try {
              finished(slot, verified, failed);
            } finally {
              done.complete(null);
            }
          });
    } catch (RejectedExecutionException e) {
      done.complete(null);
    }
  }

  private void progress(ImageSlot slot, long bytes, Long total) {
    if (slot.retired) {
      return;
    }
    boolean phaseChanged = slot.progress(bytes, total);
    long now = System.nanoTime();
    if (phaseChanged || now - slot.lastNotifiedNanos >= PROGRESS_INTERVAL_NANOS) {
      slot.lastNotifiedNanos = now;
      notifyListeners();
    }
  }

  /** Runs on the control thread with an attempt's result: a verified file, or the failure. */
  private void finished(ImageSlot slot, VerifiedFile file, DownloadFailure failure) {
    slot.attempt = null;
    if (slot.retired) {
      return;
    }
    if (file != null) {
      slot.verified(file);
      log.info(
          "{}: image {} verified ({} bytes, sha256 {})",
          owner,
          slot.name,
          file.size(),
          file.sha256());
      try {
        directory.tidy(slot.name, ContentDirectory.filesOf(slot.sha256, false));
      } catch (IOException e) {
        log.warn("{}: image {}: cannot delete older versions", owner, slot.name, e);
      }
    } else {
      slot.failed(failure);
      Duration delay = retryPolicy.delay(slot.failures, failure);
      log.warn(
          "{}: image {} failed: {}: {}; trying again in {}",
          owner,
          slot.name,
          failure.reason(),
          failure.getMessage(),
          Durations.format(delay));
      slot.retry =
          control.schedule(() -> startAttempt(slot), delay.toMillis(), TimeUnit.MILLISECONDS);
    }
    notifyListeners();
  }

  private void retire(ImageSlot slot) {
    slot.retired = true;
    if (slot.retry != null) {
      slot.retry.cancel(false);
    }
    if (slot.attempt != null) {
      slot.attempt.cancel();
    }
  }

  /** Runs {@code task} on the control thread once nothing else works on the image's files. */
  private void whenIdle(String image, Runnable task) {
    CompletableFuture<Void> previous =
        idle.getOrDefault(image, CompletableFuture.completedFuture(null));
    CompletableFuture<Void> next = new CompletableFuture<>();
    idle.put(image, next);
    previous.whenCompleteAsync(
        (ignored, error) -> {
          try {
            task.run();
          } catch (RuntimeException e) {
            log.error("{}: image {}: unexpected error", owner, image, e);
          } finally {
            // An attempt the task started is joined into idle by startAttempt, so this
            // releases only what waits for the task itself.
            next.complete(null);
          }
        },
        control);
  }

  private void notifyListeners() {
    for (ContentListener listener : listeners) {
      listener.contentChanged();
    }
  }

  /** Settings of a library; the defaults are the daemon's. */
  public static final class Builder {
    private final Path root;
    private String owner;
    private HttpClient http;
    private RetryPolicy retryPolicy = RetryPolicy.DEFAULT;
    private Duration stallTimeout = Duration.ofSeconds(60);
    private int parallelDownloads = 2;
    private String userAgent = "osdeploy-daemon";

    private Builder(Path root) {
      this.root = root;
    }

    /** Who the library works for, {@code namespace/name}, as its log lines name it. */
    public Builder owner(String owner) {
      this.owner = owner;
      return this;
    }

    public Builder httpClient(HttpClient http) {
      this.http = http;
      return this;
    }

    public Builder retryPolicy(RetryPolicy retryPolicy) {
      this.retryPolicy = retryPolicy;
      return this;
    }

    /** How long a source may send nothing (or not answer) before the attempt fails. */
    public Builder stallTimeout(Duration stallTimeout) {
      this.stallTimeout = stallTimeout;
      return this;
    }

    public Builder parallelDownloads(int parallelDownloads) {
      this.parallelDownloads = parallelDownloads;
      return this;
    }

    public Builder userAgent(String userAgent) {
      this.userAgent = userAgent;
      return this;
    }

    public ContentLibrary build() {
      if (owner == null) {
        owner = root.toString();
      }
      return new ContentLibrary(this);
    }
  }
}
