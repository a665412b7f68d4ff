package io.osdeploy.operator.reconciler;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.osdeploy.api.v1alpha1.BootableMedia;
import io.osdeploy.api.v1alpha1.BootableMediaSpec;
import io.osdeploy.api.v1alpha1.BootableMediaStatus;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.NodeStatus;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.operator.media.Artifact;
import io.osdeploy.operator.media.BootFiles;
import io.osdeploy.operator.media.MediaInputs;
import io.osdeploy.operator.media.MediaPasswordBook;
import io.osdeploy.operator.media.MediaStore;
import io.osdeploy.operator.media.PasswordHashes;
import io.osdeploy.operator.status.Assessment;
import io.osdeploy.operator.status.StatusAggregator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds each bootable media: resolves the pinned deployment, the boot servers (from the spec, or
 * the nodes of the deployment's distribution points) and the password, builds the hybrid ISO when
 * those inputs change, and reports where it is served. Content (images, steps) is not an input:
 * changing it never rebuilds media. The artifact is removed when superseded and when the media is
 * deleted.
 */
// Every event, deletions included, reaches reconcile: a deleted media's artifact is removed then,
// without a finalizer, so deleting a media (or uninstalling osdeploy) never waits for the operator.
@ControllerConfiguration(name = "bootablemedia", triggerReconcilerOnAllEvents = true)
public class BootableMediaReconciler
    extends StatusReportingReconciler<BootableMedia, BootableMediaStatus> {
  private static final Logger log = LoggerFactory.getLogger(BootableMediaReconciler.class);

  /** Boot servers a media may list (the schema's limit). */
  private static final int MAX_BOOT_SERVERS = 16;

  private final MediaStore store;
  private final MediaPasswordBook passwords = new MediaPasswordBook();

  /** PBKDF2 is slow on purpose: a hash is made once per media, Secret version and key. */
  private final PasswordHashes passwordHashes = new PasswordHashes();

  /** What media passwords are hashed for: part of their salt. */
  private static final String MEDIA_PASSWORD = "media-password";

  /** Whether the store has been swept of what an earlier process left. */
  private volatile boolean swept;

  public BootableMediaReconciler(StatusAggregator aggregator, MediaStore store) {
    super(aggregator, BootableMediaStatus::new);
    this.store = store;
  }

  @Override
  public List<EventSource<?, BootableMedia>> prepareEventSources(
      EventSourceContext<BootableMedia> context) {
    // A distribution point's nodes are the boot servers of media that list none: any change to a
    // distribution point wakes the media of its namespace.
    var dps =
        InformerEventSourceConfiguration.from(DistributionPoint.class, BootableMedia.class)
            .withSecondaryToPrimaryMapper(
                (DistributionPoint dp) ->
                    context
                        .getPrimaryCache()
                        .list(dp.getMetadata().getNamespace())
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
            .withNamespacesInheritedFromController()
            .build();
    return List.of(
        References.watchReferenced(
            context,
            TaskSequenceDeployment.class,
            BootableMedia.class,
            BootableMediaReconciler::deployments),
        // A new password rebuilds the media at once.
        References.watchSecrets(context, BootableMedia.class, BootableMediaReconciler::secrets),
        new InformerEventSource<>(dps, context));
  }

  @Override
  protected Assessment assess(
      BootableMedia media, BootableMediaStatus next, Context<BootableMedia> context) {
    sweepOnce(context);
    String ns = media.getMetadata().getNamespace();
    BootableMediaSpec spec = media.getSpec();
    TaskSequenceDeployment pinned = null;
    if (spec.getDeployment() != null) {
      Optional<TaskSequenceDeployment> found =
          References.lookup(context, TaskSequenceDeployment.class, ns, spec.getDeployment());
      if (found.isEmpty()) {
        return Assessment.reconciling(
            "WaitingForReferences",
            "not found: spec.deployment: TaskSequenceDeployment "
                + ns
                + "/"
                + spec.getDeployment());
      }
      pinned = found.get();
    }
    boolean https = spec.getCaFingerprint() != null;
    List<String> servers = bootServers(spec, pinned, context, https);
    if (servers.isEmpty()) {
      return Assessment.reconciling(
          "WaitingForBootServers",
          "spec.bootServers is empty and no node of the distribution points of"
              + " TaskSequenceDeployment "
              + ns
              + "/"
              + spec.getDeployment()
              + (https
                  ? " reports an HTTPS endpoint yet (spec.caFingerprint needs HTTPS: the"
                      + " distribution points' spec.tls)"
                  : " reports an endpoint yet"));
    }
    Optional<String> insecure = pinProblem(spec, servers);
    if (insecure.isPresent()) {
      return Assessment.stalled("InsecureBootServer", insecure.get());
    }
    MediaInputs inputs;
    try {
      inputs =
          MediaInputs.of(ns, media.getMetadata().getName(), servers)
              .withDeployment(spec.getDeployment())
              .withCaFingerprint(spec.getCaFingerprint());
    } catch (IllegalArgumentException e) {
      return Assessment.stalled("InvalidSpec", e.getMessage());
    }
    if (spec.getPasswordSecretRef() != null) {
      Optional<String> hash = passwordHash(media, context);
      if (hash.isEmpty()) {
        String key = secretKey(spec);
        return Assessment.reconciling(
            "WaitingForPassword",
            "spec.passwordSecretRef: "
                + References.secretWanted(ns, spec.getPasswordSecretRef().getName())
                + " with a non-empty key "
                + key
                + " not found");
      }
      inputs = inputs.withPasswordHash(hash.get());
    }
    passwords.publish(context.getClient(), media, inputs.passwordHash());
    return build(media, next, inputs);
  }

  private Assessment build(BootableMedia media, BootableMediaStatus next, MediaInputs inputs) {
    String digest = inputs.digest();
    BootableMediaStatus.Artifact current = next.getArtifact();
    if (current != null
        && digest.equals(current.getInputsDigest())
        && store.artifact(current.getSha256()).isPresent()) {
      return built(current);
    }
    Artifact artifact;
    try {
      artifact = store.build(inputs);
    } catch (BootFiles.MissingBootFileException e) {
      return Assessment.stalled("BuilderUnavailable", e.getMessage());
    } catch (IOException | RuntimeException e) {
      log.warn("{}: building the media failed", key(media), e);
      return Assessment.reconciling("BuildFailed", "building the media failed: " + e.getMessage());
    }
    BootableMediaStatus.Artifact built = new BootableMediaStatus.Artifact();
    built.setUrl(store.url(artifact.sha256()));
    built.setSha256(artifact.sha256());
    built.setSizeBytes(artifact.sizeBytes());
    built.setInputsDigest(artifact.inputsDigest());
    next.setArtifact(built);
    if (current != null && !Objects.equals(current.getSha256(), artifact.sha256())) {
      removeQuietly(media, current.getSha256());
    }
    log.info("{}: media built, {} ({} bytes)", key(media), artifact.sha256(), artifact.sizeBytes());
    return built(built);
  }

  private static Assessment built(BootableMediaStatus.Artifact artifact) {
    return Assessment.ready(
        "Built",
        "media "
            + artifact.getSha256().substring(0, 12)
            + " ("
            + artifact.getSizeBytes()
            + " bytes) served at "
            + artifact.getUrl());
  }

  /**
   * Boot servers in order: the spec's, or each distribution point's nodes, by node name; their
   * HTTPS endpoints for media pinning a CA.
   */
  private static List<String> bootServers(
      BootableMediaSpec spec,
      TaskSequenceDeployment pinned,
      Context<BootableMedia> context,
      boolean https) {
    if (spec.getBootServers() != null && !spec.getBootServers().isEmpty()) {
      return spec.getBootServers();
    }
    List<String> servers = new ArrayList<>();
    if (pinned == null || pinned.getSpec() == null) {
      return servers;
    }
    for (String dpName : TaskSequenceDeploymentReconciler.distributionPoints(pinned)) {
      References.lookup(
              context, DistributionPoint.class, pinned.getMetadata().getNamespace(), dpName)
          .filter(dp -> dp.getStatus() != null)
          .ifPresent(
              dp ->
                  dp.getStatus().getNodes().stream()
                      .sorted(Comparator.comparing(NodeStatus::getName))
                      .map(https ? NodeStatus::getHttpsEndpoint : NodeStatus::getEndpoint)
                      .filter(Objects::nonNull)
                      .filter(e -> !servers.contains(e))
                      .forEach(servers::add));
    }
    return servers.size() > MAX_BOOT_SERVERS ? servers.subList(0, MAX_BOOT_SERVERS) : servers;
  }

  /**
   * Media pinning a CA talk HTTPS only: a boot server it could reach by plain HTTP would bypass the
   * pin, so every one must be {@code https://}.
   */
  private static Optional<String> pinProblem(BootableMediaSpec spec, List<String> servers) {
    if (spec.getCaFingerprint() == null) {
      return Optional.empty();
    }
    boolean fromSpec = spec.getBootServers() != null && !spec.getBootServers().isEmpty();
    for (int i = 0; i < servers.size(); i++) {
      if (!servers.get(i).regionMatches(true, 0, "https:", 0, 6)) {
        return Optional.of(
            fromSpec
                ? "spec.bootServers["
                    + i
                    + "]: media pinning a CA (spec.caFingerprint) talk HTTPS only; use https://"
                : "spec.caFingerprint: media pinning a CA talk HTTPS only, and boot server "
                    + servers.get(i)
                    + " is not https://");
      }
    }
    return Optional.empty();
  }

  private static String secretKey(BootableMediaSpec spec) {
    String key = spec.getPasswordSecretRef().getKey();
    return key == null || key.isBlank() ? "password" : key;
  }

  /**
   * The hash of the Secret's password, salted with a value fixed for this media (from its uid), so
   * the inputs digest stays the same until the password changes. The password itself is wiped as
   * soon as it is hashed and never logged or written anywhere.
   */
  private Optional<String> passwordHash(BootableMedia media, Context<BootableMedia> context) {
    BootableMediaSpec spec = media.getSpec();
    Secret secret =
        References.lookup(
                context,
                Secret.class,
                media.getMetadata().getNamespace(),
                spec.getPasswordSecretRef().getName())
            .orElse(null);
    return passwordHashes.hash(
        secret, secretKey(spec), media.getMetadata().getUid(), MEDIA_PASSWORD);
  }

  /** The finalizer earlier versions put on every media; lifted wherever it is found. */
  static final String OLD_FINALIZER = "bootablemedias.osdeploy.io/finalizer";

  @Override
  public UpdateControl<BootableMedia> reconcile(
      BootableMedia media, Context<BootableMedia> context) {
    if (context.isPrimaryResourceDeleted()) {
      forget(media, context);
      return UpdateControl.noUpdate();
    }
    if (media.getMetadata().getFinalizers().contains(OLD_FINALIZER)) {
      context
          .getClient()
          .resource(media)
          .edit(
              m -> {
                m.getMetadata().getFinalizers().remove(OLD_FINALIZER);
                return m;
              });
    }
    if (media.getMetadata().getDeletionTimestamp() != null) {
      return UpdateControl.noUpdate();
    }
    return super.reconcile(media, context);
  }

  /**
   * A media is gone: its artifact leaves the store and its password the namespace's ConfigMap. A
   * media deleted while no operator ran is found by the sweep at the next start instead.
   */
  private void forget(BootableMedia media, Context<BootableMedia> context) {
    if (media.getStatus() != null && media.getStatus().getArtifact() != null) {
      removeQuietly(media, media.getStatus().getArtifact().getSha256());
    }
    passwordHashes.forget(media.getMetadata().getUid(), MEDIA_PASSWORD);
    try {
      passwords.publish(context.getClient(), media, null);
    } catch (KubernetesClientException e) {
      // The namespace may be going too.
      log.info("{}: could not remove its password entry: {}", key(media), e.getMessage());
    }
    passwords.forget(media);
  }

  /**
   * Before this process builds anything, removes from the store what a previous one left and no
   * media refers to: a build cut off by a crash, or an artifact built but never recorded in a
   * status. Every reconcile passes here first, so no build runs while the store is swept.
   */
  private void sweepOnce(Context<BootableMedia> context) {
    if (swept) {
      return;
    }
    synchronized (this) {
      if (swept) {
        return;
      }
      Set<String> referenced =
          context
              .getPrimaryCache()
              .list()
              .map(BootableMedia::getStatus)
              .filter(s -> s != null && s.getArtifact() != null)
              .map(s -> s.getArtifact().getSha256())
              .filter(Objects::nonNull)
              .collect(Collectors.toSet());
      try {
        List<String> removed = store.sweep(referenced);
        if (!removed.isEmpty()) {
          log.info("removed from the media store what no media refers to: {}", removed);
        }
      } catch (IOException e) {
        log.warn("could not sweep the media store {}", store.directory(), e);
      }
      swept = true;
    }
  }

  private void removeQuietly(BootableMedia media, String sha256) {
    try {
      if (store.remove(sha256)) {
        log.info("{}: removed superseded media {}", key(media), sha256);
      }
    } catch (IOException e) {
      log.warn("{}: could not remove media {}", key(media), sha256, e);
    }
  }

  static List<String> secrets(BootableMedia media) {
    return media.getSpec() == null || media.getSpec().getPasswordSecretRef() == null
        ? List.of()
        : List.of(media.getSpec().getPasswordSecretRef().getName());
  }

  static List<String> deployments(BootableMedia media) {
    return media.getSpec() == null || media.getSpec().getDeployment() == null
        ? List.of()
        : List.of(media.getSpec().getDeployment());
  }
}
