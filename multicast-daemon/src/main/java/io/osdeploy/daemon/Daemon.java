package io.osdeploy.daemon;

import io.osdeploy.api.v1alpha1.DistributionPointSpec.BootEnvironment;
import io.osdeploy.api.v1alpha1.ImageMulticast;
import io.osdeploy.api.v1alpha1.NodeStatus;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec.Purpose;
import io.osdeploy.config.DaemonConfig;
import io.osdeploy.daemon.auth.MachineAccess;
import io.osdeploy.daemon.auth.MachineTokens;
import io.osdeploy.daemon.boot.BootEnvironmentFiles;
import io.osdeploy.daemon.capture.CaptureStore;
import io.osdeploy.daemon.config.ConfigSource;
import io.osdeploy.daemon.config.ConfigTracker;
import io.osdeploy.daemon.content.ContentLibrary;
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
import io.osdeploy.daemon.progress.ProgressJournal;
import io.osdeploy.daemon.progress.ProgressWriter;
import io.osdeploy.daemon.report.NodeReport;
import io.osdeploy.daemon.report.NodeReporter;
import io.osdeploy.daemon.report.NodeStatusWriter;
import io.osdeploy.daemon.secrets.DeploymentSecretFiles;
import io.osdeploy.daemon.userstate.UserStateStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon on one distribution point node: takes each valid configuration, keeps the content
 * library holding the assigned images, serves them over HTTP and reports the node's state.
 */
public final class Daemon implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  /** Under the content path; a dot name is never an image's folder. */
  static final String PROGRESS_DIR = ".osdeploy-progress";

  /** How often the TLS files are read for a renewed or newly mounted certificate. */
  static final long TLS_CHECK_SECONDS = 10;

  private final DaemonSettings settings;
  private final DaemonHttpServer http;
  private final ConfigTracker tracker = new ConfigTracker(this::apply);
  private final NodeReporter reporter;
  private final List<ConfigSource> sources = new ArrayList<>();

  private volatile DaemonConfig config;
  private volatile ContentLibrary library;
  private volatile String endpoint;

  private final PolicyBook policy = new PolicyBook();
  private final MediaPasswords mediaPasswords = new MediaPasswords();
  private final MulticastComponent multicast;
  private final TlsComponent tls;
  private final PxeComponent pxe;
  private final ProgressWriter progressWriter;
  private volatile ProgressCollector progress;
  private volatile PolicyWatcher policyWatcher;
  private volatile BootEnvironmentFiles bootEnvironment;

  /** Under the content path: the distribution point's own boot environment, once pulled. */
  private static final String BOOT_DIR = ".osdeploy-boot";

  private volatile ContentLibrary bootLibrary;
  private volatile boolean customBoot;

  /** The library's path: fixed for the life of the process. */
  private String contentPath;

  private final UserStateStore userState =
      new UserStateStore(policy, UserStateStore.DEFAULT_MAX_BYTES);

  private final CaptureStore captures = new CaptureStore(policy);

  private final MachineTokens tokens = new MachineTokens();

  /** What {@code /metrics} shows: the counters of {@link #metrics()}, the JVM's, histograms. */
  private final DaemonMeters meters = new DaemonMeters(this::metrics);

  private final MachineAccess access = new MachineAccess(tokens, policy);

  /** The key directory of the command line, overriding the configuration's; null: none given. */
  private volatile Path tokenKeys;

  private final DeploymentSecretFiles deploymentSecrets = new DeploymentSecretFiles();

  /** The deployment-secrets directory of the command line; null: the configuration's. */
  private volatile Path deploymentSecretsDirectory;

  /**
   * @param statusWriter where the node's status goes; null to run without reporting (no API)
   * @param progressWriter where agents' reports go; null to take none (no API)
   */
  public Daemon(
      DaemonSettings settings, NodeStatusWriter statusWriter, ProgressWriter progressWriter) {
    this.settings = settings;
    this.progressWriter = progressWriter;
    this.multicast = new MulticastComponent(settings, policy, this::served, meters::sessionEnded);
    this.http =
        new DaemonHttpServer(
            new HttpEndpoints(
                this::ready,
                this::nodeStatus,
                new VerifiedContent() {
                  @Override
                  public Optional<VerifiedFile> verified(String image) {
                    return served(image);
                  }

                  @Override
                  public boolean unicastAllowed(String image) {
                    return !multicastOnly(image);
                  }
                },
                request -> policy.answer(request, endpoint),
                this::bootScript,
                policy::pinnedBy,
                this::progress,
                mediaPasswords,
                multicast,
                meters::scrape,
                userState,
                this::bootFile,
                policy::offered,
                access,
                () -> {
                  DaemonConfig current = config;
                  return current != null && current.isTlsRequired();
                },
                new HttpEndpoints.Captures(captures, this::captureBaseUrl, settings.node()),
                deploymentSecrets,
                meters::requestServed));
    captures.onKept(
        kept -> {
          ProgressCollector collector = progress;
          if (collector != null) {
            collector.recordCapture(kept.deployment(), kept.uid(), kept.capture());
          }
        });
    policy.setVerifiedSizes(image -> served(image).map(VerifiedFile::size).orElse(null));
    this.reporter =
        statusWriter == null
            ? null
            : new NodeReporter(statusWriter, this::report, settings.progressInterval());
    this.tls = new TlsComponent(http, settings, this::changed, TLS_CHECK_SECONDS);
    this.pxe = new PxeComponent(settings, policy, () -> http.address().getPort());
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
    this.bootEnvironment = files;
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
    this.tokenKeys = dir;
    tokens.readKeysFrom(dir);
  }

  /** Reads deployment secrets from {@code dir}, whatever the configuration says. */
  public void readDeploymentSecretsFrom(Path dir) {
    this.deploymentSecretsDirectory = dir;
    deploymentSecrets.readFrom(dir);
  }

  /** The tokens this node issues and checks. */
  public MachineTokens tokens() {
    return tokens;
  }

  /** Publishes policy from the deployments and images {@code watcher} sees. */
  public void watchPolicy(
      java.util.function.BiFunction<PolicyBook, MediaPasswords, PolicyWatcher> watcher) {
    this.policyWatcher = watcher.apply(policy, mediaPasswords);
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
    BootEnvironment environment = null;
    if (current != null && current.getBootEnvironment() != null) {
      // The distribution point's own, from this node once pulled and verified.
      if (bootFile(BootEnvironmentFiles.KERNEL).isPresent()
          && bootFile(BootEnvironmentFiles.INITRD).isPresent()) {
        environment = BootScript.fromNode(base, current.getBootEnvironment().getArgs());
      }
    } else if (bootEnvironment != null) {
      environment = BootScript.builtIn(base);
    }
    List<TaskSequenceDeployment> offered = new ArrayList<>();
    List<String> done = new ArrayList<>();
    Completions completions = policy.completions();
    ProgressCollector collector = progress;
    for (TaskSequenceDeployment d : policy.offered(request)) {
      String name = d.getMetadata().getName();
      Completions known =
          collector == null ? completions : completions.with(name, collector.machines(name));
      // A required deployment runs by itself once; the machine then starts from its own disk.
      if (d.getSpec().getPurpose() == Purpose.Required
          && known.succeeded(name, request.mac(), request.uuid()) != null) {
        done.add(name);
      } else {
        offered.add(d);
      }
    }
    String token = environment == null ? null : access.issue(request, offered).orElse(null);
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
    ProgressCollector current = progress;
    return current == null
        ? CompletableFuture.completedFuture(ProgressCollector.Outcome.NOT_STORED)
        : current.submit(report);
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
            () -> {
              DaemonConfig current = config;
              return current == null
                  ? null
                  : new ProgressCollector.Destination(current.getNamespace(), settings.node());
            },
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

  /** What {@code /metrics} shows now. */
  public DaemonMetrics metrics() {
    ContentLibrary content = library;
    ProgressCollector collector = progress;
    return new DaemonMetrics(
        content == null ? List.of() : content.snapshot(),
        multicast.metrics(),
        pxe.dhcpMetrics(),
        pxe.tftpMetrics(),
        collector == null ? Map.of() : collector.outcomes(),
        mediaPasswords.refused(),
        mediaPasswords.busy(),
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
    ContentLibrary current = library;
    return config != null && current != null && current.started();
  }

  public InetSocketAddress httpAddress() {
    return http.address();
  }

  /** The node's entry as it stands, also served at {@code /v1/status}. */
  public NodeStatus nodeStatus() {
    DaemonConfig current = config;
    ContentLibrary content = library;
    NodeStatus status =
        NodeReport.nodeStatus(
            settings.node(),
            settings.version(),
            endpoint,
            current == null ? 0 : current.getGeneration(),
            content == null ? List.of() : content.snapshot());
    status.setHttpsEndpoint(tls.endpoint());
    ContentLibrary boot = bootLibrary;
    if (customBoot && boot != null) {
      status.setBootEnvironment(boot.snapshot());
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
   * A file of the boot environment this node serves: the distribution point's own once pulled and
   * verified, else the one the daemon ships.
   */
  private Optional<VerifiedFile> bootFile(String file) {
    if (customBoot) {
      ContentLibrary pulled = bootLibrary;
      return pulled == null ? Optional.empty() : pulled.verified(file);
    }
    BootEnvironmentFiles files = bootEnvironment;
    return files == null ? Optional.empty() : files.verified(file);
  }

  private Optional<VerifiedFile> served(String image) {
    ContentLibrary content = library;
    return content == null ? Optional.empty() : content.verified(image);
  }

  /** Called by the tracker with each new valid configuration, one at a time. */
  private synchronized void apply(DaemonConfig next) {
    String key = next.getNamespace() + "/" + next.getDistributionPoint();
    mediaPasswords.publishPxe(next.getPxePasswordHash());
    if (deploymentSecretsDirectory == null) {
      deploymentSecrets.readFrom(
          next.getDeploymentSecretsDirectory() == null
              ? null
              : Path.of(next.getDeploymentSecretsDirectory()));
    }
    if (tokenKeys == null) {
      tokens.readKeysFrom(
          next.getMachineTokenDirectory() == null
              ? null
              : Path.of(next.getMachineTokenDirectory()));
    }
    String path =
        settings.contentPath() != null ? settings.contentPath().toString() : next.getContentPath();
    if (library == null) {
      ContentLibrary created =
          ContentLibrary.builder(Path.of(path))
              .owner(key)
              .userAgent("osdeploy-daemon/" + settings.version())
              .build();
      if (reporter != null) {
        created.addListener(reporter::changed);
      }
      created.addListener(multicast::prepare);
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
    if (settings.httpPort() == null && next.getHttpPort() != http.address().getPort()) {
      try {
        listen(next.getHttpPort());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (IOException e) {
        log.error(
            "{}: cannot move to port {}; staying on {}",
            key,
            next.getHttpPort(),
            http.address(),
            e);
      }
    }
    config = next;
    updateBootEnvironment(next, path, key);
    tls.apply(next);
    multicast.apply(next);
    pxe.apply(next);
    PolicyWatcher watcher = policyWatcher;
    if (watcher != null) {
      watcher.rebuild();
    }
    library
        .assign(next.getImages())
        .whenComplete(
            (ignored, error) -> {
              if (error != null) {
                log.error("{}: applying the image list failed", key, error);
              }
              changed();
            });
  }

  /**
   * Pulls and verifies the distribution point's own boot environment, as images are, into a library
   * of its own under the content path; without one, the shipped boot environment serves.
   */
  private void updateBootEnvironment(DaemonConfig next, String path, String key) {
    BootEnvironment custom = next.getBootEnvironment();
    if (custom == null) {
      customBoot = false;
      if (bootLibrary != null) {
        bootLibrary.assign(List.of());
      }
      return;
    }
    if (bootLibrary == null) {
      bootLibrary =
          ContentLibrary.builder(Path.of(path).resolve(BOOT_DIR))
              .owner(key + " boot environment")
              .userAgent("osdeploy-daemon/" + settings.version())
              .build();
      if (reporter != null) {
        bootLibrary.addListener(reporter::changed);
      }
    }
    customBoot = true;
    bootLibrary
        .assign(
            List.of(
                new DaemonConfig.Image(
                    BootEnvironmentFiles.KERNEL,
                    custom.getKernelUrl(),
                    custom.getKernelSha256().toLowerCase(java.util.Locale.ROOT),
                    null),
                new DaemonConfig.Image(
                    BootEnvironmentFiles.INITRD,
                    custom.getInitrdUrl(),
                    custom.getInitrdSha256().toLowerCase(java.util.Locale.ROOT),
                    null)))
        .whenComplete(
            (ignored, error) -> {
              if (error != null) {
                log.error("{}: the boot environment's files failed", key, error);
              }
            });
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

  /** Stops everything; the node's status entry and the partial downloads stay for next time. */
  @Override
  public void close() {
    tls.close();
    sources.forEach(ConfigSource::close);
    if (policyWatcher != null) {
      policyWatcher.close();
    }
    if (reporter != null) {
      reporter.close();
    }
    http.close();
    meters.close();
    mediaPasswords.close();
    synchronized (this) {
      pxe.close();
    }
    multicast.close();
    if (progress != null) {
      progress.close();
    }
    if (bootLibrary != null) {
      bootLibrary.close();
    }
    if (library != null) {
      library.close();
    }
  }
}
