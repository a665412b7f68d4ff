package io.osdeploy.daemon;

import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.config.DaemonConfig;
import io.osdeploy.daemon.capture.CaptureStore;
import io.osdeploy.daemon.content.ContentLibrary;
import io.osdeploy.daemon.content.ContentListener;
import io.osdeploy.daemon.content.VerifiedFile;
import io.osdeploy.daemon.policy.PolicyBook;
import io.osdeploy.daemon.progress.ProgressCollector;
import io.osdeploy.daemon.progress.ProgressJournal;
import io.osdeploy.daemon.progress.ProgressWriter;
import io.osdeploy.daemon.userstate.UserStateStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this node keeps under its content path: the library of assigned images, the user state and
 * capture stores, and the journal of agents' progress reports. All open at the first configuration,
 * at the path of the command line or else of that configuration, for the life of the process.
 */
final class ContentComponent implements DaemonComponent {
  /** Its lines read as the daemon's own, as operators know them. */
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  /** Under the content path; a dot name is never an image's folder. */
  static final String PROGRESS_DIR = ".osdeploy-progress";

  private final DaemonSettings settings;
  private final PolicyBook policy;
  private final ProgressWriter progressWriter;
  private final Supplier<ProgressCollector.Destination> destination;
  private final Runnable changed;
  private final List<ContentListener> listeners = new ArrayList<>();
  private final UserStateStore userState;
  private final CaptureStore captures;

  private volatile ContentLibrary library;

  /** The library's path: fixed for the life of the process. */
  private String contentPath;

  private volatile ProgressCollector progress;

  /**
   * @param progressWriter where agents' reports go; null to take none
   * @param destination where they go in the API: the namespace in force and this node
   * @param changed told when the library's images or their states change
   */
  ContentComponent(
      DaemonSettings settings,
      PolicyBook policy,
      ProgressWriter progressWriter,
      Supplier<ProgressCollector.Destination> destination,
      Runnable changed) {
    this.settings = settings;
    this.policy = policy;
    this.progressWriter = progressWriter;
    this.destination = destination;
    this.changed = changed;
    this.userState = new UserStateStore(policy, UserStateStore.DEFAULT_MAX_BYTES);
    this.captures = new CaptureStore(policy);
    listeners.add(changed::run);
    captures.onKept(
        kept -> {
          ProgressCollector collector = progress;
          if (collector != null) {
            collector.recordCapture(kept.deployment(), kept.uid(), kept.capture());
          }
        });
  }

  /** The content path {@code next} asks for, unless the command line names one. */
  static String contentPath(DaemonSettings settings, DaemonConfig next) {
    return settings.contentPath() != null
        ? settings.contentPath().toString()
        : next.getContentPath();
  }

  /** Also told of the library's changes, after those given before; only before {@link #open}. */
  void onChange(ContentListener listener) {
    listeners.add(listener);
  }

  /**
   * Opens the library and the stores at the first configuration's content path; a later
   * configuration naming another path waits for a restart.
   */
  void open(DaemonConfig next) {
    String key = next.getNamespace() + "/" + next.getDistributionPoint();
    String path = contentPath(settings, next);
    if (library == null) {
      ContentLibrary created =
          ContentLibrary.builder(Path.of(path))
              .owner(key)
              .userAgent("osdeploy-daemon/" + settings.version())
              .build();
      listeners.forEach(created::addListener);
      library = created;
      contentPath = path;
      userState.open(Path.of(path));
      captures.open(Path.of(path));
      if (progressWriter != null) {
        progress = startProgress(Path.of(path));
      }
    } else if (!path.equals(contentPath)) {
      // The operator restarts the pods when the path changes; a file-configured daemon waits.
      log.warn(
          "{}: contentPath {} takes effect at restart; serving {} until then",
          key,
          path,
          contentPath);
    }
  }

  private ProgressCollector startProgress(Path root) {
    ProgressCollector collector =
        new ProgressCollector(
            new ProgressJournal(root.resolve(PROGRESS_DIR).resolve("reports.jsonl")),
            progressWriter,
            report ->
                policy
                    .targeting(report.mac(), report.uuid(), report.deployment())
                    .map(
                        offer ->
                            new ProgressCollector.Targeted(
                                offer.deployment().getMetadata().getUid(),
                                offer.machine() != null)),
            policy::publishes,
            destination,
            Clock.systemUTC());
    for (CaptureStore.Stored kept : captures.all()) {
      collector.recordCapture(kept.deployment(), kept.uid(), kept.capture());
    }
    try {
      collector.start(settings.reportInterval());
      return collector;
    } catch (IOException e) {
      log.error("progress reports cannot be kept under {}; none are taken", root, e);
      collector.close();
      return null;
    }
  }

  /** Makes the library hold the images {@code next} assigns; the library is open. */
  @Override
  public void apply(DaemonConfig next) {
    String key = next.getNamespace() + "/" + next.getDistributionPoint();
    library
        .assign(next.getImages())
        .whenComplete(
            (ignored, error) -> {
              if (error != null) {
                log.error("{}: applying the image list failed", key, error);
              }
              changed.run();
            });
  }

  /** Whether the library is open and has applied its first assignment. */
  boolean started() {
    ContentLibrary current = library;
    return current != null && current.started();
  }

  /** Each assigned image's state; none before the library opens. */
  List<ImageState> snapshot() {
    ContentLibrary current = library;
    return current == null ? List.of() : current.snapshot();
  }

  /** The verified copy of {@code image} this node serves, if any. */
  Optional<VerifiedFile> verified(String image) {
    ContentLibrary current = library;
    return current == null ? Optional.empty() : current.verified(image);
  }

  UserStateStore userState() {
    return userState;
  }

  CaptureStore captures() {
    return captures;
  }

  /** Where agents' reports are kept; empty without an API or before the library opens. */
  Optional<ProgressCollector> progress() {
    return Optional.ofNullable(progress);
  }

  /** Stops taking reports (the last ones written out), then the downloads. */
  @Override
  public void close() {
    if (progress != null) {
      progress.close();
    }
    if (library != null) {
      library.close();
    }
  }
}
