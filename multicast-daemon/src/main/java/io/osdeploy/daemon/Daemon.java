package io.osdeploy.daemon;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.osdeploy.api.v1alpha1.DistributionPointMulticast;
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
import io.osdeploy.daemon.http.TlsMaterial;
import io.osdeploy.daemon.metrics.DaemonMeters;
import io.osdeploy.daemon.metrics.DaemonMetrics;
import io.osdeploy.daemon.multicast.JoinRefusedException;
import io.osdeploy.daemon.multicast.MulticastImage;
import io.osdeploy.daemon.multicast.MulticastSessions;
import io.osdeploy.daemon.multicast.MulticastSettings;
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
import io.osdeploy.daemon.pxe.ProxyDhcpResponder;
import io.osdeploy.daemon.pxe.ProxyDhcpSettings;
import io.osdeploy.daemon.pxe.TftpServer;
import io.osdeploy.daemon.pxe.TftpSettings;
import io.osdeploy.daemon.report.NodeReport;
import io.osdeploy.daemon.report.NodeReporter;
import io.osdeploy.daemon.report.NodeStatusWriter;
import io.osdeploy.daemon.secrets.DeploymentSecretFiles;
import io.osdeploy.daemon.userstate.UserStateStore;
import io.osdeploy.transfer.wire.JoinTicket;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon on one distribution point node: takes each valid configuration, keeps the content
 * library holding the assigned images, serves them over HTTP and reports the node's state.
 */
public final class Daemon implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);
  private static final ObjectMapper JSON = new ObjectMapper();

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

  /** The HTTPS endpoint while TLS is served; null otherwise. */
  private volatile String httpsEndpoint;

  /** SHA-256 of the self-signed CA certificate the served chain ends in, or null. */
  private volatile String tlsCaFingerprint;

  /** {@link TlsMaterial#digest} of what the TLS listener serves, or of what last failed. */
  private String tlsDigest;

  private final ScheduledExecutorService tlsWatch =
      Executors.newSingleThreadScheduledExecutor(Threads.named("tls-watch"));
  private final PolicyBook policy = new PolicyBook();
  private final MediaPasswords mediaPasswords = new MediaPasswords();
  private volatile MulticastSessions multicast;
  private volatile ProxyDhcpResponder pxeDhcp;
  private volatile TftpServer tftp;
  private boolean pxeAnswerAll;
  private String multicastKey;
  private final ProgressWriter progressWriter;
  private volatile ProgressCollector progress;
  private volatile PolicyWatcher policyWatcher;
  private volatile BootEnvironmentFiles bootEnvironment;
  private volatile Path tlsDirectory;

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
                this::joinMulticast,
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
    tlsWatch.scheduleWithFixedDelay(
        this::checkTls, TLS_CHECK_SECONDS, TLS_CHECK_SECONDS, TimeUnit.SECONDS);
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
    this.tlsDirectory = dir;
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
    String https = httpsEndpoint;
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
        stayOnTls ? tlsCaFingerprint : null,
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
    MulticastSessions sessions = multicast;
    ProgressCollector collector = progress;
    ProxyDhcpResponder dhcp = pxeDhcp;
    TftpServer files = tftp;
    return new DaemonMetrics(
        content == null ? List.of() : content.snapshot(),
        sessions == null ? null : sessions.metrics(),
        dhcp == null ? null : dhcp.metrics(),
        files == null ? null : files.metrics(),
        collector == null ? Map.of() : collector.outcomes(),
        mediaPasswords.refused(),
        mediaPasswords.busy(),
        http.connections(),
        tokens.refused(),
        tokens.issued());
  }

  private JoinTicket joinMulticast(String image, String client, java.net.InetAddress from)
      throws JoinRefusedException {
    MulticastSessions current = multicast;
    if (current == null) {
      throw new JoinRefusedException(
          JoinRefusedException.Reason.UNKNOWN_IMAGE,
          "multicast is not enabled on this distribution point (spec.multicast.enabled)");
    }
    return current.join(image, client, from);
  }

  /**
   * Starts sessions with the distribution point's multicast settings; new settings serve new joins
   * at once, and the sessions running under the old ones finish first.
   */
  private void updateMulticast(DaemonConfig next) {
    policy.setUnicastFallback(next.isUnicastFallback());
    DistributionPointMulticast m = next.getMulticast();
    boolean enabled = m != null && Boolean.TRUE.equals(m.getEnabled());
    String key;
    try {
      key = enabled ? JSON.writeValueAsString(m) : null;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("multicast settings always serialize", e);
    }
    if (Objects.equals(key, multicastKey)) {
      return;
    }
    MulticastSessions old = multicast;
    multicast = null;
    multicastKey = key;
    policy.setMulticastEnabled(enabled);
    if (enabled) {
      try {
        multicast =
            new MulticastSessions(MulticastSettings.from(m), multicastInterface(), this::catalog);
        multicast.onSessionEnd(meters::sessionEnded);
        log.info("multicast enabled on {}", multicastInterface().getName());
        prepareMulticast();
      } catch (IllegalArgumentException | IOException e) {
        log.error("multicast: {}; joins are refused until the settings change", e.getMessage());
      }
    }
    if (old != null) {
      retire(old);
    }
  }

  private static void retire(MulticastSessions old) {
    Thread t =
        new Thread(
            () -> {
              try {
                while (!old.sessions().isEmpty()) {
                  Thread.sleep(2_000);
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              old.close();
            },
            "multicast-retire");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Answers PXE clients (proxyDHCP, TFTP for the iPXE binaries) while the distribution point has
   * {@code spec.pxe.enabled}: only machines a PXE-available deployment here could serve. A port
   * that cannot be bound is logged and leaves HTTP serving.
   */
  private void updatePxe(DaemonConfig next) {
    if (pxeDhcp != null && next.isPxeEnabled() && next.isPxeAnswerAll() != pxeAnswerAll) {
      // Who gets an answer changed: start again with the new setting.
      stopPxe();
    }
    if (next.isPxeEnabled() && pxeDhcp == null && loopbackOnly()) {
      log.info("PXE is enabled but this daemon listens on loopback only; not answering PXE");
      return;
    }
    if (next.isPxeEnabled() && pxeDhcp == null) {
      try {
        if (!(InetAddress.getByName(settings.advertiseAddress()) instanceof Inet4Address address)) {
          throw new IOException(
              "PXE needs an IPv4 advertised address, not " + settings.advertiseAddress());
        }
        ProxyDhcpResponder dhcp =
            new ProxyDhcpResponder(
                new ProxyDhcpSettings(address, http.address().getPort(), next.isPxeAnswerAll()),
                (mac, uuid) ->
                    !policy
                        .offered(new PolicyRequest(mac, uuid, PolicyRequest.Source.PXE, null))
                        .isEmpty());
        dhcp.start("0.0.0.0", ProxyDhcpResponder.DHCP_PORT, ProxyDhcpResponder.PXE_PORT);
        TftpServer files = new TftpServer(TftpSettings.debianIpxe());
        try {
          files.start(
              settings.bindAddress() != null ? settings.bindAddress() : "0.0.0.0", TftpServer.PORT);
        } catch (IOException | RuntimeException e) {
          dhcp.close();
          throw e;
        }
        pxeDhcp = dhcp;
        tftp = files;
        pxeAnswerAll = next.isPxeAnswerAll();
        log.info(
            "PXE on: proxyDHCP on ports 67 and 4011, TFTP on 69; answering {}",
            pxeAnswerAll ? "every PXE client" : "machines a deployment here targets");
      } catch (IOException | RuntimeException | InterruptedException e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        log.error(
            "{}/{}: PXE cannot start ({}); HTTP keeps serving",
            next.getNamespace(),
            next.getDistributionPoint(),
            e.getMessage());
      }
    } else if (!next.isPxeEnabled() && pxeDhcp != null) {
      stopPxe();
      log.info("PXE off");
    }
  }

  /** A daemon bound to loopback (a local run, a test) must not answer DHCP on the host's LAN. */
  private boolean loopbackOnly() {
    try {
      return settings.bindAddress() != null
          && InetAddress.getByName(settings.bindAddress()).isLoopbackAddress();
    } catch (IOException e) {
      return false;
    }
  }

  private void stopPxe() {
    if (pxeDhcp != null) {
      pxeDhcp.close();
      pxeDhcp = null;
    }
    if (tftp != null) {
      tftp.close();
      tftp = null;
    }
  }

  /** The interface multicast goes out on: the one holding the advertised address. */
  private NetworkInterface multicastInterface() throws IOException {
    NetworkInterface iface =
        NetworkInterface.getByInetAddress(InetAddress.getByName(settings.advertiseAddress()));
    if (iface == null) {
      throw new IOException(
          "no network interface holds the advertised address " + settings.advertiseAddress());
    }
    return iface;
  }

  /** Digests the sections of every image multicast may send, ahead of the first join. */
  private void prepareMulticast() {
    MulticastSessions current = multicast;
    DaemonConfig assigned = config;
    if (current == null || assigned == null) {
      return;
    }
    for (DaemonConfig.Image image : assigned.getImages()) {
      catalog(image.getName()).ifPresent(current::prepare);
    }
  }

  /** An image multicast may send: verified here, and allowed by the OS image. */
  private Optional<MulticastImage> catalog(String image) {
    DaemonConfig current = config;
    ContentLibrary content = library;
    if (current == null || content == null) {
      return Optional.empty();
    }
    Optional<DaemonConfig.Image> assigned =
        current.getImages().stream().filter(i -> i.getName().equals(image)).findFirst();
    if (assigned.isEmpty() || !ImageMulticast.allowed(assigned.get().getMulticast())) {
      return Optional.empty();
    }
    boolean encrypt =
        assigned.get().getMulticast() != null
            && Boolean.TRUE.equals(assigned.get().getMulticast().getEncrypt());
    return content
        .verified(image)
        .map(f -> new MulticastImage(f.image(), f.path(), f.size(), f.sha256(), encrypt));
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
    status.setHttpsEndpoint(httpsEndpoint);
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
      created.addListener(this::prepareMulticast);
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
    updateTls(next);
    updateMulticast(next);
    updatePxe(next);
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

  /**
   * Serves HTTPS as {@code next} says, with the certificate in its TLS directory. A certificate
   * that is missing or unusable leaves plain HTTP serving and no HTTPS endpoint reported (or the
   * last good certificate serving); the watch tries again when the files change, as they do when
   * the Secret appears or is renewed.
   */
  private synchronized void updateTls(DaemonConfig next) {
    String key = next.getNamespace() + "/" + next.getDistributionPoint();
    if (next.getHttpsPort() == null) {
      if (httpsEndpoint != null) {
        http.closeTls();
        httpsEndpoint = null;
        tlsCaFingerprint = null;
        changed();
      }
      tlsDigest = null;
      return;
    }
    Path dir = tlsDirectory != null ? tlsDirectory : Path.of(next.getTlsDirectory());
    InetSocketAddress current = http.tlsAddress();
    try {
      String digest = TlsMaterial.digest(dir);
      if (digest.equals(tlsDigest)
          && (current == null || current.getPort() == next.getHttpsPort())) {
        return;
      }
      // Files that cannot be used are reported once, until they change.
      tlsDigest = digest;
      TlsMaterial material = TlsMaterial.load(dir);
      tlsDigest = material.digest(); // the bytes loaded, should the files have changed since
      InetSocketAddress bound;
      try {
        bound = http.listenTls(settings.bindAddress(), next.getHttpsPort(), material.context());
      } catch (IOException e) {
        tlsDigest = null; // a port taken now may be free at the next check
        throw e;
      }
      httpsEndpoint = endpointUrl("https", settings.advertiseAddress(), bound.getPort());
      tlsCaFingerprint = material.caFingerprint();
      log.info(
          "{}: HTTPS at {} with {} ({} certificates in the chain)",
          key,
          httpsEndpoint,
          material.chain().get(0).getSubjectX500Principal().getName(),
          material.chain().size());
      changed();
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
  private void checkTls() {
    DaemonConfig current = config;
    if (current != null && current.getHttpsPort() != null) {
      updateTls(current);
    }
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
    String https = httpsEndpoint;
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
    tlsWatch.shutdownNow();
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
      stopPxe();
    }
    if (multicast != null) {
      multicast.close();
    }
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
