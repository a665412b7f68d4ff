package io.osdeploy.daemon;

import io.osdeploy.config.DaemonConfig;
import io.osdeploy.daemon.http.DaemonHttpServer;
import io.osdeploy.daemon.http.TlsMaterial;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTPS as the configuration says, with the certificate in its TLS directory, read again at a fixed
 * delay for a renewed or newly mounted certificate. A certificate that is missing or unusable
 * leaves plain HTTP serving and no HTTPS endpoint reported (or the last good certificate serving);
 * the next read tries again once the files change, as they do when the Secret appears or is
 * renewed.
 */
final class TlsComponent implements DaemonComponent {
  /** Its lines read as the daemon's own, as operators know them. */
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  private final DaemonHttpServer http;
  private final DaemonSettings settings;
  private final Runnable changed;
  private final ScheduledExecutorService watch =
      Executors.newSingleThreadScheduledExecutor(Threads.named("tls-watch"));

  /** The directory of the command line, overriding the configuration's; null: none given. */
  private volatile Path directory;

  /** The configuration last applied, which the checks apply again. */
  private DaemonConfig applied;

  /** The HTTPS endpoint while TLS is served; null otherwise. */
  private volatile String endpoint;

  /** SHA-256 of the self-signed CA certificate the served chain ends in, or null. */
  private volatile String caFingerprint;

  /** {@link TlsMaterial#digest} of what the TLS listener serves, or of what last failed. */
  private String digest;

  /**
   * @param changed told when the HTTPS endpoint changes
   * @param checkSeconds how often the files are read again
   */
  TlsComponent(
      DaemonHttpServer http, DaemonSettings settings, Runnable changed, long checkSeconds) {
    this.http = http;
    this.settings = settings;
    this.changed = changed;
    watch.scheduleWithFixedDelay(this::check, checkSeconds, checkSeconds, TimeUnit.SECONDS);
  }

  /** Reads the certificate from {@code dir} instead of the configuration's directory. */
  void readFrom(Path dir) {
    this.directory = dir;
  }

  /** The HTTPS endpoint while TLS is served; null otherwise. */
  String endpoint() {
    return endpoint;
  }

  /** SHA-256 of the CA certificate the served chain ends in, or null. */
  String caFingerprint() {
    return caFingerprint;
  }

  @Override
  public synchronized void apply(DaemonConfig next) {
    applied = next;
    update(next);
  }

  private void update(DaemonConfig next) {
    String key = next.getNamespace() + "/" + next.getDistributionPoint();
    if (next.getHttpsPort() == null) {
      if (endpoint != null) {
        http.closeTls();
        endpoint = null;
        caFingerprint = null;
        changed.run();
      }
      digest = null;
      return;
    }
    Path dir = directory != null ? directory : Path.of(next.getTlsDirectory());
    InetSocketAddress current = http.tlsAddress();
    try {
      String read = TlsMaterial.digest(dir);
      if (read.equals(digest) && (current == null || current.getPort() == next.getHttpsPort())) {
        return;
      }
      // Files that cannot be used are reported once, until they change.
      digest = read;
      TlsMaterial material = TlsMaterial.load(dir);
      digest = material.digest(); // the bytes loaded, should the files have changed since
      InetSocketAddress bound;
      try {
        bound = http.listenTls(settings.bindAddress(), next.getHttpsPort(), material.context());
      } catch (IOException e) {
        digest = null; // a port taken now may be free at the next check
        throw e;
      }
      endpoint = Daemon.endpointUrl("https", settings.advertiseAddress(), bound.getPort());
      caFingerprint = material.caFingerprint();
      log.info(
          "{}: HTTPS at {} with {} ({} certificates in the chain)",
          key,
          endpoint,
          material.chain().get(0).getSubjectX500Principal().getName(),
          material.chain().size());
      changed.run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      log.error(
          "{}: {}; {}",
          key,
          e.getMessage(),
          current == null ? "serving HTTP only" : "still serving the previous certificate");
    }
  }

  /** Applies a changed or newly mounted certificate. */
  private synchronized void check() {
    DaemonConfig current = applied;
    if (current != null && current.getHttpsPort() != null) {
      update(current);
    }
  }

  /** Stops reading the files; the HTTPS listener closes with the HTTP server. */
  @Override
  public void close() {
    watch.shutdownNow();
  }
}
