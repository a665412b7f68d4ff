package io.osdeploy.daemon;

import io.osdeploy.api.v1alpha1.DistributionPointSpec.BootEnvironment;
import io.osdeploy.api.v1alpha1.ImageMulticast;
import io.osdeploy.api.v1alpha1.ImageState;
import io.osdeploy.api.v1alpha1.NodeStatus;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec.Purpose;
import io.osdeploy.config.DaemonConfig;
import io.osdeploy.daemon.auth.MachineTokens;
import io.osdeploy.daemon.boot.BootEnvironmentFiles;
import io.osdeploy.daemon.config.ConfigSource;
import io.osdeploy.daemon.config.ConfigTracker;
import io.osdeploy.daemon.content.VerifiedContent;
import io.osdeploy.daemon.content.VerifiedFile;
import io.osdeploy.daemon.http.DaemonHttpServer;
import io.osdeploy.daemon.http.HttpEndpoints;
import io.osdeploy.daemon.metrics.DaemonMeters;
import io.osdeploy.daemon.metrics.DaemonMetrics;
import io.osdeploy.daemon.policy.BootScript;
import io.osdeploy.daemon.policy.Completions;
import io.osdeploy.daemon.policy.MediaPasswords;
import io.osdeploy.daemon.policy.PolicyBook;
import io.osdeploy.daemon.policy.PolicyRequest;
import io.osdeploy.daemon.policy.PolicyWatcher;
import io.osdeploy.daemon.progress.AgentReport;
import io.osdeploy.daemon.progress.ProgressCollector;
import io.osdeploy.daemon.progress.ProgressWriter;
import io.osdeploy.daemon.report.NodeReport;
import io.osdeploy.daemon.report.NodeReporter;
import io.osdeploy.daemon.report.NodeStatusWriter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon on one distribution point node: takes each valid configuration, keeps the content
 * library holding the assigned images, serves them over HTTP and reports the node's state. Each
 * lifecycle is a component of its own (access, content, boot environment, TLS, multicast, PXE,
 * policy); the daemon hands each configuration to them in order, answers HTTP from them and stops
 * them.
 */
public final class Daemon implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  /** How often the TLS files are read for a renewed or newly mounted certificate. */
  static final long TLS_CHECK_SECONDS = 10;

  private final DaemonSettings settings;
  private final DaemonHttpServer http;
  private final ConfigTracker tracker = new ConfigTracker(this::apply);
  private final NodeReporter reporter;
  private final List<ConfigSource> sources = new ArrayList<>();

  /** What {@code /metrics} shows: the counters of {@link #metrics()}, the JVM's, histograms. */
  private final DaemonMeters meters = new DaemonMeters(this::metrics);

  private final PolicyComponent policy = new PolicyComponent();
  private final AccessComponent access = new AccessComponent(policy.book());
  private final ContentComponent content;
  private final BootComponent boot;
  private final MulticastComponent multicast;
  private final TlsComponent tls;
  private final PxeComponent pxe;

  /** The configuration in force. */
  private volatile DaemonConfig config;

  private volatile String endpoint;

  /**
   * @param statusWriter where the node's status goes; null to run without reporting (no API)
   * @param progressWriter where agents' reports go; null to take none (no API)
   */
  public Daemon(
      DaemonSettings settings, NodeStatusWriter statusWriter, ProgressWriter progressWriter) {
    this.settings = settings;
    PolicyBook book = policy.book();
    this.content =
        new ContentComponent(
            settings, book, progressWriter, this::progressDestination, this::changed);
    this.boot = new BootComponent(settings, this::changed);
    this.multicast =
        new MulticastComponent(
            settings, book, content::verified, meters::sessionEnded, this::changed);
    content.onChange(multicast::prepare);
    this.http =
        new DaemonHttpServer(
            new HttpEndpoints(
                this::ready,
                this::nodeStatus,
                new VerifiedContent() {
                  @Override
                  public Optional<VerifiedFile> verified(String image) {
                    return content.verified(image);
                  }

                  @Override
                  public boolean unicastAllowed(String image) {
                    return !multicastOnly(image);
                  }
                },
                request -> book.answer(request, endpoint),
                this::bootScript,
                book::pinnedBy,
                this::progress,
                access.mediaPasswords(),
                multicast,
                meters::scrape,
                content.userState(),
                boot,
                book::offered,
                access.access(),
                () -> {
                  DaemonConfig current = config;
                  return current != null && current.isTlsRequired();
                },
                new HttpEndpoints.Captures(
                    content.captures(), this::captureBaseUrl, settings.node()),
                access.deploymentSecrets(),
                meters::requestServed));
    this.tls = new TlsComponent(http, settings, this::changed, TLS_CHECK_SECONDS);
    this.pxe = new PxeComponent(settings, book, () -> http.address().getPort());
    book.setVerifiedSizes(image -> content.verified(image).map(VerifiedFile::size).orElse(null));
    this.reporter =
        statusWriter == null
            ? null
            : new NodeReporter(statusWriter, this::report, settings.progressInterval());
  }

  /**
   * Starts serving health and readiness: on the port of the command line, or until a configuration
   * names one, the default port.
   */
  public InetSocketAddress start() throws IOException, InterruptedException {
    int port = settings.httpPort() != null ? settings.httpPort() : DaemonConfig.DEFAULT_HTTP_PORT;
    return listen(port);
  }

  /** Starts taking configurations from {@code source}. */
  public void addConfigSource(ConfigSource source) {
    sources.add(source);
    source.start();
  }

  /**
   * Serves {@code files} at {@code /boot/} and chains booting machines into them wherever the
   * distribution point names no boot environment of its own.
   */
  public void serveBootEnvironment(BootEnvironmentFiles files) {
    boot.serveShipped(files);
  }

  /**
   * Reads the HTTPS certificate from {@code dir} instead of the configuration's directory (the
   * mount a pod has): for daemons run outside a pod, as the run command and tests run them.
   */
  public void readTlsFrom(Path dir) {
    tls.readFrom(dir);
  }

  /**
   * Reads machine-token keys from {@code dir} instead of the configuration's directory (the Secret
   * a pod mounts): for daemons run outside a pod.
   */
  public void readTokenKeysFrom(Path dir) {
    access.readTokenKeysFrom(dir);
  }

  /** Reads deployment secrets from {@code dir}, whatever the configuration says. */
  public void readDeploymentSecretsFrom(Path dir) {
    access.readDeploymentSecretsFrom(dir);
  }

  /** The tokens this node issues and checks. */
  public MachineTokens tokens() {
    return access.tokens();
  }

  /** Publishes policy from the deployments and images {@code watcher} sees. */
  public void watchPolicy(BiFunction<PolicyBook, MediaPasswords, PolicyWatcher> watcher) {
    policy.watch(watcher.apply(policy.book(), access.mediaPasswords()));
  }

  /**
   * Asked for over HTTPS, the boot script sends the agent to this node's HTTPS endpoint and has it
   * pin the CA this node's chain ends in ({@code osdeploy.ca}): the machine came over a channel it
   * trusted, and stays on one.
   */
  private String bootScript(PolicyRequest request, boolean secure) {
    DaemonConfig current = config;
    String https = tls.endpoint();
    boolean stayOnTls = secure && https != null;
    String base = stayOnTls ? https : endpoint;
    BootEnvironment environment = boot.environment(current, base);
    List<TaskSequenceDeployment> offered = new ArrayList<>();
    List<String> done = new ArrayList<>();
    PolicyBook book = policy.book();
    Completions completions = book.completions();
    Optional<ProgressCollector> collector = content.progress();
    for (TaskSequenceDeployment d : book.offered(request)) {
      String name = d.getMetadata().getName();
      Completions known =
          collector.map(c -> completions.with(name, c.machines(name))).orElse(completions);
      // A required deployment runs by itself once; the machine then starts from its own disk.
      if (d.getSpec().getPurpose() == Purpose.Required
          && known.succeeded(name, request.mac(), request.uuid()) != null) {
        done.add(name);
      } else {
        offered.add(d);
      }
    }
    String token =
        environment == null ? null : access.access().issue(request, offered).orElse(null);
    return BootScript.render(
        request,
        offered,
        done,
        environment,
        base,
        current == null
            ? "(not configured)"
            : current.getNamespace() + "/" + current.getDistributionPoint(),
        stayOnTls ? tls.caFingerprint() : null,
        token);
  }

  private CompletableFuture<ProgressCollector.Outcome> progress(AgentReport report) {
    return content
        .progress()
        .map(collector -> collector.submit(report))
        .orElseGet(() -> CompletableFuture.completedFuture(ProgressCollector.Outcome.NOT_STORED));
  }

  /**
   * Where agents' reports go: the namespace in force, on this node; null before a configuration.
   */
  private ProgressCollector.Destination progressDestination() {
    DaemonConfig current = config;
    return current == null
        ? null
        : new ProgressCollector.Destination(current.getNamespace(), settings.node());
  }

  /** What {@code /metrics} shows now. */
  public DaemonMetrics metrics() {
    MediaPasswords passwords = access.mediaPasswords();
    MachineTokens tokens = access.tokens();
    return new DaemonMetrics(
        content.snapshot(),
        multicast.metrics(),
        pxe.dhcpMetrics(),
        pxe.tftpMetrics(),
        content.progress().map(ProgressCollector::outcomes).orElse(Map.of()),
        passwords.refused(),
        passwords.busy(),
        http.connections(),
        tokens.refused(),
        tokens.issued());
  }

  /** The distribution point this daemon serves, once a configuration names it. */
  public String distributionPoint() {
    DaemonConfig current = config;
    return current == null ? null : current.getDistributionPoint();
  }

  public ConfigTracker configTracker() {
    return tracker;
  }

  /** Ready once a valid configuration is loaded and the content library has started. */
  public boolean ready() {
    return config != null && content.started();
  }

  public InetSocketAddress httpAddress() {
    return http.address();
  }

  /** The node's entry as it stands, also served at {@code /v1/status}. */
  public NodeStatus nodeStatus() {
    DaemonConfig current = config;
    NodeStatus status =
        NodeReport.nodeStatus(
            settings.node(),
            settings.version(),
            endpoint,
            current == null ? 0 : current.getGeneration(),
            content.snapshot());
    status.setHttpsEndpoint(tls.endpoint());
    status.setMulticastSessions(multicast.sessionStates());
    List<ImageState> bootFiles = boot.snapshot();
    if (bootFiles != null) {
      status.setBootEnvironment(bootFiles);
    }
    return status;
  }

  private Optional<NodeReport> report() {
    DaemonConfig current = config;
    if (current == null) {
      return Optional.empty();
    }
    return Optional.of(
        new NodeReport(current.getNamespace(), current.getDistributionPoint(), nodeStatus()));
  }

  /** An image the OS image marks {@code multicastOnly}: never served by unicast. */
  private boolean multicastOnly(String image) {
    DaemonConfig current = config;
    return current != null
        && current.getImages().stream()
            .anyMatch(
                i -> i.getName().equals(image) && ImageMulticast.multicastOnly(i.getMulticast()));
  }

  /**
   * Called by the tracker with each new valid configuration, one at a time. Who may ask for what,
   * and where content is kept, take it before it is in force; the rest act on it once it is, the
   * image list last, so that what its changes set off finds every part on the new configuration.
   */
  private synchronized void apply(DaemonConfig next) {
    access.apply(next);
    content.open(next);
    if (!followHttpPort(next)) {
      return;
    }
    config = next;
    boot.apply(next);
    tls.apply(next);
    multicast.apply(next);
    pxe.apply(next);
    policy.apply(next);
    content.apply(next);
  }

  /**
   * Moves HTTP to the port {@code next} names, unless the command line names one; a port that
   * cannot be bound leaves HTTP where it is. False when interrupted, and {@code next} is not taken.
   */
  private boolean followHttpPort(DaemonConfig next) {
    if (settings.httpPort() != null || next.getHttpPort() == http.address().getPort()) {
      return true;
    }
    try {
      listen(next.getHttpPort());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (IOException e) {
      log.error(
          "{}/{}: cannot move to port {}; staying on {}",
          next.getNamespace(),
          next.getDistributionPoint(),
          next.getHttpPort(),
          http.address(),
          e);
    }
    return true;
  }

  private InetSocketAddress listen(int port) throws IOException, InterruptedException {
    InetSocketAddress bound = http.listen(settings.bindAddress(), port);
    endpoint = endpointUrl(settings.advertiseAddress(), bound.getPort());
    changed();
    return bound;
  }

  private void changed() {
    if (reporter != null) {
      reporter.changed();
    }
  }

  /**
   * Where captures are read from: this node's HTTPS endpoint when plain HTTP is off for machines,
   * else its HTTP endpoint.
   */
  private String captureBaseUrl() {
    DaemonConfig current = config;
    String https = tls.endpoint();
    return current != null && current.isTlsRequired() && https != null ? https : endpoint;
  }

  static String endpointUrl(String host, int port) {
    return endpointUrl("http", host, port);
  }

  static String endpointUrl(String scheme, String host, int port) {
    String literal = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    return scheme + "://" + literal + ":" + port;
  }

  /**
   * Stops everything; the node's status entry and the partial downloads stay for next time. What
   * brings work in stops first: certificate checks, configurations, the policy watch, status
   * reports and HTTP.
   */
  @Override
  public void close() {
    tls.close();
    sources.forEach(ConfigSource::close);
    policy.close();
    if (reporter != null) {
      reporter.close();
    }
    http.close();
    meters.close();
    access.close();
    // A configuration being applied is done before what it starts and stops is closed.
    synchronized (this) {
      pxe.close();
      multicast.close();
      boot.close();
      content.close();
    }
  }
}
