package io.osdeploy.daemon.policy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.osdeploy.api.v1alpha1.ImageMulticast;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OSImageSpec;
import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec.Delivery;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec.Purpose;
import io.osdeploy.policy.PolicyDocument;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The deployments this distribution point publishes, and the policy document a machine gets for
 * them: each offered deployment with its steps and their content resolved (unicast URL, SHA-256),
 * {@code required} flagged. Replaced whole on every change; lookups never block.
 */
public final class PolicyBook {
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Published(
      PolicyIndex index,
      Map<String, TaskSequenceDeployment> deployments,
      Map<String, OSImage> images,
      Map<String, String> mediaPins) {}

  private final Clock clock;
  private volatile Completions completions = Completions.NONE;
  private volatile Published published =
      new Published(PolicyIndex.of(List.of()), Map.of(), Map.of(), Map.of());

  /** Whether this distribution point runs multicast sessions (spec.multicast.enabled). */
  private volatile boolean multicastEnabled = true;

  public void setMulticastEnabled(boolean enabled) {
    this.multicastEnabled = enabled;
  }

  /**
   * Whether a machine that multicast left incomplete may finish by unicast (spec.unicastFallback);
   * without it, an image that comes by multicast comes only so.
   */
  private volatile boolean unicastFallback = true;

  public void setUnicastFallback(boolean fallback) {
    this.unicastFallback = fallback;
  }

  /** The size of this node's verified copy of an image, or null: for images without sizeBytes. */
  private volatile Function<String, Long> verifiedSizes = image -> null;

  public void setVerifiedSizes(Function<String, Long> sizes) {
    this.verifiedSizes = sizes;
  }

  public PolicyBook(Clock clock) {
    this.clock = clock;
  }

  public PolicyBook() {
    this(Clock.systemUTC());
  }

  public void publish(Collection<TaskSequenceDeployment> deployments, Collection<OSImage> images) {
    publish(deployments, images, Map.of());
  }

  /** Publishes the deployments and images, and which deployment each boot media (by name) pins. */
  public void publish(
      Collection<TaskSequenceDeployment> deployments,
      Collection<OSImage> images,
      Map<String, String> mediaPins) {
    published =
        new Published(
            PolicyIndex.of(deployments),
            deployments.stream()
                .collect(
                    Collectors.toMap(
                        d -> d.getMetadata().getName(), Function.identity(), (a, b) -> a)),
            images.stream()
                .collect(Collectors.toMap(i -> i.getMetadata().getName(), Function.identity())),
            Map.copyOf(mediaPins));
  }

  /** Which machines have succeeded which deployment, as the deployments' status says. */
  public void publishCompletions(Completions completions) {
    this.completions = completions;
  }

  public Completions completions() {
    return completions;
  }

  /**
   * The request as the media means it: a request from media that names no deployment is for the
   * deployment the media pins, if it pins one.
   */
  public PolicyRequest pinnedBy(PolicyRequest request, String mediaName) {
    if (mediaName == null || request.deployment() != null) {
      return request;
    }
    String pinned = published.mediaPins().get(mediaName);
    return pinned == null
        ? request
        : new PolicyRequest(request.mac(), request.uuid(), request.source(), pinned);
  }

  /** Whether this distribution point publishes a deployment of that name. */
  public boolean publishes(String deployment) {
    return published.deployments().containsKey(deployment);
  }

  /**
   * The OS images the named deployments need, in name order: what a machine running them may fetch.
   * That is the images their steps apply, and the packages their steps fetch from a distribution
   * point's {@code /content/<image>} when this distribution point holds that image. Deployments no
   * longer published count for nothing.
   */
  public List<String> imagesOf(Collection<String> deployments) {
    Published current = published;
    List<String> images = new ArrayList<>();
    for (String name : deployments) {
      TaskSequenceDeployment d = current.deployments().get(name);
      if (d == null) {
        continue;
      }
      for (Step step : d.getSpec().getTaskSequence().getSteps()) {
        if (step.getApplyOperatingSystem() != null
            && step.getApplyOperatingSystem().getOsImage() != null) {
          images.add(step.getApplyOperatingSystem().getOsImage());
        }
        for (Step.Content pkg :
            java.util.Arrays.asList(step.getApplyDriverPackage(), step.getInstallPackage())) {
          String held = contentImage(pkg, current.images());
          if (held != null) {
            images.add(held);
          }
        }
      }
    }
    return images.stream().distinct().sorted().toList();
  }

  /**
   * The image a package is on this DP: the OSImage it names, or the one its URL names as {@code
   * .../content/<image>}, if this DP holds it.
   */
  private static String contentImage(Step.Content pkg, Map<String, OSImage> images) {
    if (pkg != null && pkg.getOsImage() != null) {
      return images.containsKey(pkg.getOsImage()) ? pkg.getOsImage() : null;
    }
    if (pkg == null || pkg.getUrl() == null) {
      return null;
    }
    try {
      String path = java.net.URI.create(pkg.getUrl()).getPath();
      if (path == null || !path.startsWith("/content/")) {
        return null;
      }
      String image = path.substring("/content/".length());
      return images.containsKey(image) ? image : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * The published deployment of that name, if the machine may run it from some source (the one a
   * machine's progress reports may be about), with the target entry that names the machine.
   */
  public Optional<PolicyIndex.Offer> targeting(String mac, String uuid, String deployment) {
    // Every availability offers a named deployment to PXE.
    return published
        .index()
        .offers(new PolicyRequest(mac, uuid, PolicyRequest.Source.PXE, deployment))
        .stream()
        .findFirst();
  }

  /** The deployments offered to {@code request}, in name order. */
  public List<TaskSequenceDeployment> offered(PolicyRequest request) {
    return published.index().offered(request);
  }

  /** The policy document for {@code request}; {@code endpoint} is this daemon's HTTP base URL. */
  public PolicyDocument answer(PolicyRequest request, String endpoint) {
    Published current = published;
    List<PolicyDocument.Offer> offered = new ArrayList<>();
    for (PolicyIndex.Offer o : current.index().offers(request)) {
      // The target entry's name: the computer name Windows settings give the machine.
      String machineName = o.machine() == null ? null : o.machine().getName();
      offered.add(offer(o.deployment(), machineName, current.images(), endpoint));
    }
    return new PolicyDocument(
        new PolicyDocument.Machine(request.mac(), request.uuid()),
        request.source().name().toLowerCase(java.util.Locale.ROOT),
        offered);
  }

  private PolicyDocument.Offer offer(
      TaskSequenceDeployment d, String machineName, Map<String, OSImage> images, String endpoint) {
    Purpose purpose =
        d.getSpec().getPurpose() == null ? Purpose.Available : d.getSpec().getPurpose();
    Delivery delivery = d.getSpec().delivery();
    String deadline = d.getSpec().getDeadline();
    List<PolicyDocument.PolicyStep> steps = new ArrayList<>();
    for (Step step : d.getSpec().getTaskSequence().getSteps()) {
      PolicyDocument.PolicyStep s = JSON.convertValue(step, PolicyDocument.PolicyStep.class);
      if (step.getApplyOperatingSystem() != null) {
        s.setContent(
            content(images.get(step.getApplyOperatingSystem().getOsImage()), delivery, endpoint));
      }
      // A package from the distribution points comes the way an image does.
      for (Step.Content pkg :
          java.util.Arrays.asList(step.getApplyDriverPackage(), step.getInstallPackage())) {
        if (pkg != null && pkg.getOsImage() != null) {
          s.setContent(content(images.get(pkg.getOsImage()), delivery, endpoint));
        }
      }
      steps.add(s);
    }
    return new PolicyDocument.Offer(
        d.getMetadata().getName(),
        d.getMetadata().getNamespace(),
        machineName,
        purpose.name(),
        purpose == Purpose.Required,
        d.getSpec().getAvailability().name(),
        delivery.name(),
        deadline,
        deadline == null
            ? null
            : OffsetDateTime.parse(deadline).toInstant().isBefore(Instant.now(clock)),
        steps);
  }

  private PolicyDocument.ContentSource content(OSImage image, Delivery delivery, String endpoint) {
    if (image == null) {
      return PolicyDocument.ContentSource.unavailable();
    }
    String name = image.getMetadata().getName();
    boolean wim = image.getSpec().format() == OSImageSpec.Format.Wim;
    // An image without spec.sizeBytes has the size of the copy this node verified, so that the
    // agent can check it fits before it writes.
    Long size = image.getSpec().getSizeBytes();
    OSImageSpec.Uncompressed expanded = image.getSpec().getUncompressed();
    // What travels is compressed; the agent checks what it writes against the expanded form too.
    boolean compressed =
        image.getSpec().compression() != OSImageSpec.Compression.None && expanded != null;
    boolean multicast =
        multicastEnabled
            && delivery != Delivery.Unicast
            && ImageMulticast.allowed(image.getSpec().getMulticast());
    // Unicast is the fallback only where multicast is the route; otherwise it is the route.
    boolean unicast =
        delivery != Delivery.MulticastOnly
            && !ImageMulticast.multicastOnly(image.getSpec().getMulticast())
            && (unicastFallback || !multicast);
    return new PolicyDocument.ContentSource(
        null,
        name,
        image.getSpec().format().name(),
        wim ? image.getSpec().imageIndex() : null,
        image.getSpec().getSha256().toLowerCase(java.util.Locale.ROOT),
        size != null ? size : verifiedSizes.apply(name),
        compressed ? image.getSpec().compression().name() : null,
        compressed
            ? new PolicyDocument.Uncompressed(
                expanded.getSha256().toLowerCase(java.util.Locale.ROOT), expanded.getSizeBytes())
            : null,
        unicast ? endpoint + "/content/" + name : null,
        multicast,
        multicast ? endpoint + "/v1/multicast/join?image=" + name : null);
  }
}
