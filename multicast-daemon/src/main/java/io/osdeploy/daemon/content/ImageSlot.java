package io.osdeploy.daemon.content;

import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.api.v1alpha1.ImageState.Phase;
import io.osdeploy.config.DaemonConfig;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;

/**
 * One assigned image in one version of its spec. A change to the image's source, SHA-256 or size
 * makes a new slot, so an attempt always belongs to exactly one version.
 *
 * <p>The state is written by the slot's running attempt (progress) and by the library's control
 * thread between attempts, never by both at once; the fields marked as control-only are touched by
 * the control thread alone.
 */
final class ImageSlot {
  /** What the node reports about the image; immutable, replaced as a whole. */
  record State(Phase phase, Long bytes, Long totalBytes, String reason, String message) {}

  final DaemonConfig.Image spec;
  final String name;
  final String sha256;
  final PartialDigest partial = new PartialDigest();

  private volatile State state;

  /** The copy served meanwhile: this version once verified, an older verified one until then. */
  volatile VerifiedFile served;

  /** Set when the slot is no longer assigned; its attempt's result is then ignored. */
  volatile boolean retired;

  // Control thread only.
  int failures;
  DownloadAttempt attempt;
  ScheduledFuture<?> retry;

  /** When listeners last heard of this slot's progress; written by the running attempt. */
  long lastNotifiedNanos;

  ImageSlot(DaemonConfig.Image spec) {
    this.spec = spec;
    this.name = spec.getName();
    this.sha256 = spec.getSha256().toLowerCase(Locale.ROOT);
    this.state = new State(Phase.Pending, null, spec.getSizeBytes(), null, null);
  }

  /** Whether {@code other} describes the same bytes from the same source. */
  boolean sameContent(DaemonConfig.Image other) {
    return sha256.equals(other.getSha256().toLowerCase(Locale.ROOT))
        && spec.getUrl().equals(other.getUrl())
        && Objects.equals(spec.getSizeBytes(), other.getSizeBytes());
  }

  State state() {
    return state;
  }

  /** Records progress; true when that moved the image into Downloading. */
  boolean progress(long bytes, Long totalBytes) {
    boolean phaseChanged = state.phase() != Phase.Downloading;
    state = new State(Phase.Downloading, bytes, totalBytes, null, null);
    return phaseChanged;
  }

  void verified(VerifiedFile file) {
    served = file;
    failures = 0;
    state = new State(Phase.Verified, file.size(), file.size(), null, null);
  }

  void failed(DownloadFailure failure) {
    failures++;
    state =
        new State(Phase.Failed, null, spec.getSizeBytes(), failure.reason(), failure.getMessage());
  }

  ImageState toImageState() {
    State s = state;
    ImageState image = new ImageState(name, sha256, s.phase());
    image.setBytes(s.bytes());
    image.setTotalBytes(s.totalBytes());
    image.setReason(s.reason());
    image.setMessage(s.message());
    return image;
  }
}
