package io.osdeploy.daemon;

import io.osdeploy.api.v1alpha1.DistributionPointSpec.BootEnvironment;
import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.config.DaemonConfig;
import io.osdeploy.daemon.boot.BootEnvironmentFiles;
import io.osdeploy.daemon.content.ContentLibrary;
import io.osdeploy.daemon.content.VerifiedContent;
import io.osdeploy.daemon.content.VerifiedFile;
import io.osdeploy.daemon.policy.BootScript;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The boot environment this node serves at {@code /boot/}: the distribution point's own, pulled and
 * verified as images are into a library of its own under the content path, or else the one the
 * daemon ships.
 */
final class BootComponent implements DaemonComponent, VerifiedContent {
  /** Its lines read as the daemon's own, as operators know them. */
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  /** Under the content path: the distribution point's own boot environment, once pulled. */
  private static final String BOOT_DIR = ".osdeploy-boot";

  private final DaemonSettings settings;
  private final Runnable changed;

  private volatile BootEnvironmentFiles shipped;
  private volatile ContentLibrary library;
  private volatile boolean custom;

  /**
   * @param changed told when the pulled files or their states change
   */
  BootComponent(DaemonSettings settings, Runnable changed) {
    this.settings = settings;
    this.changed = changed;
  }

  /** Serves {@code files} wherever the distribution point names no boot environment of its own. */
  void serveShipped(BootEnvironmentFiles files) {
    this.shipped = files;
  }

  @Override
  public void apply(DaemonConfig next) {
    String key = next.getNamespace() + "/" + next.getDistributionPoint();
    BootEnvironment own = next.getBootEnvironment();
    if (own == null) {
      custom = false;
      if (library != null) {
        library.assign(List.of());
      }
      return;
    }
    if (library == null) {
      library =
          ContentLibrary.builder(
                  Path.of(ContentComponent.contentPath(settings, next)).resolve(BOOT_DIR))
              .owner(key + " boot environment")
              .userAgent("osdeploy-daemon/" + settings.version())
              .build();
      library.addListener(changed::run);
    }
    custom = true;
    library
        .assign(
            List.of(
                new DaemonConfig.Image(
                    BootEnvironmentFiles.KERNEL,
                    own.getKernelUrl(),
                    own.getKernelSha256().toLowerCase(Locale.ROOT),
                    null),
                new DaemonConfig.Image(
                    BootEnvironmentFiles.INITRD,
                    own.getInitrdUrl(),
                    own.getInitrdSha256().toLowerCase(Locale.ROOT),
                    null)))
        .whenComplete(
            (ignored, error) -> {
              if (error != null) {
                log.error("{}: the boot environment's files failed", key, error);
              }
            });
  }

  /**
   * A file of the boot environment this node serves: the distribution point's own once pulled and
   * verified, else the one the daemon ships.
   */
  @Override
  public Optional<VerifiedFile> verified(String file) {
    if (custom) {
      ContentLibrary pulled = library;
      return pulled == null ? Optional.empty() : pulled.verified(file);
    }
    BootEnvironmentFiles files = shipped;
    return files == null ? Optional.empty() : files.verified(file);
  }

  /**
   * Where the boot script of {@code current} chains machines, with this node's files at {@code
   * base}; null while there is nothing to chain into.
   */
  BootEnvironment environment(DaemonConfig current, String base) {
    if (current != null && current.getBootEnvironment() != null) {
      // The distribution point's own, from this node once pulled and verified.
      if (verified(BootEnvironmentFiles.KERNEL).isPresent()
          && verified(BootEnvironmentFiles.INITRD).isPresent()) {
        return BootScript.fromNode(base, current.getBootEnvironment().getArgs());
      }
      return null;
    }
    return shipped != null ? BootScript.builtIn(base) : null;
  }

  /** The states of the distribution point's own files, for the node's status; null: none named. */
  List<ImageState> snapshot() {
    ContentLibrary pulled = library;
    return custom && pulled != null ? pulled.snapshot() : null;
  }

  @Override
  public void close() {
    if (library != null) {
      library.close();
    }
  }
}
