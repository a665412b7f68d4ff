package io.osdeploy.daemon.policy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.osdeploy.api.v1alpha1.ImageMulticast;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.OSImageSpec;
import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec.Delivery;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec.Purpose;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
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
  public Map<String, Object> answer(PolicyRequest request, String endpoint) {
    Published current = published;
    List<Map<String, Object>> offered = new ArrayList<>();
    for (PolicyIndex.Offer o : current.index().offers(request)) {
      Map<String, Object> offer = offer(o.deployment(), current.images(), endpoint);
      if (o.machine() != null && o.machine().getName() != null) {
        // The target entry's name: the computer name Windows settings give the machine.
        offer.put("machineName", o.machine().getName());
      }
      offered.add(offer);
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    Map<String, Object> machine = new LinkedHashMap<>();
    machine.put("mac", request.mac());
    machine.put("uuid", request.uuid());
    doc.put("machine", machine);
    doc.put("source", request.source().name().toLowerCase(java.util.Locale.ROOT));
    doc.put("deployments", offered);
    return doc;
  }

  private Map<String, Object> offer(
      TaskSequenceDeployment d, Map<String, OSImage> images, String endpoint) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("name", d.getMetadata().getName());
    o.put("namespace", d.getMetadata().getNamespace());
    Purpose purpose =
        d.getSpec().getPurpose() == null ? Purpose.Available : d.getSpec().getPurpose();
    o.put("purpose", purpose.name());
    o.put("required", purpose == Purpose.Required);
    o.put("availability", d.getSpec().getAvailability().name());
    Delivery delivery =
        d.getSpec().getDelivery() == null ? Delivery.MulticastPreferred : d.getSpec().getDelivery();
    o.put("delivery", delivery.name());
    if (d.getSpec().getDeadline() != null) {
      o.put("deadline", d.getSpec().getDeadline());
      o.put(
          "deadlinePassed",
          OffsetDateTime.parse(d.getSpec().getDeadline()).toInstant().isBefore(Instant.now(clock)));
    }
    List<Map<String, Object>> steps = new ArrayList<>();
    for (Step step : d.getSpec().getTaskSequence().getSteps()) {
      @SuppressWarnings("unchecked")
      Map<String, Object> s = JSON.convertValue(step, LinkedHashMap.class);
      if (step.getApplyOperatingSystem() != null) {
        s.put(
            "content",
            content(images.get(step.getApplyOperatingSystem().getOsImage()), delivery, endpoint));
      }
      // A package from the distribution points comes the way an image does.
      for (Step.Content pkg :
          java.util.Arrays.asList(step.getApplyDriverPackage(), step.getInstallPackage())) {
        if (pkg != null && pkg.getOsImage() != null) {
          s.put("content", content(images.get(pkg.getOsImage()), delivery, endpoint));
        }
      }
      steps.add(s);
    }
    o.put("steps", steps);
    return o;
  }

  private Map<String, Object> content(OSImage image, Delivery delivery, String endpoint) {
    Map<String, Object> c = new LinkedHashMap<>();
    if (image == null) {
      c.put("available", false);
      return c;
    }
    c.put("osImage", image.getMetadata().getName());
    c.put("format", image.getSpec().format().name());
    if (image.getSpec().format() == OSImageSpec.Format.Wim) {
      c.put("imageIndex", image.getSpec().imageIndex());
    }
    c.put("sha256", image.getSpec().getSha256().toLowerCase(java.util.Locale.ROOT));
    // An image without spec.sizeBytes has the size of the copy this node verified, so that the
    // agent can check it fits before it writes.
    Long size = image.getSpec().getSizeBytes();
    c.put("sizeBytes", size != null ? size : verifiedSizes.apply(image.getMetadata().getName()));
    OSImageSpec.Uncompressed expanded = image.getSpec().getUncompressed();
    if (image.getSpec().compression() != OSImageSpec.Compression.None && expanded != null) {
      // What travels is compressed; the agent checks what it writes against this too.
      c.put("compression", image.getSpec().compression().name());
      c.put(
          "uncompressed",
          Map.of(
              "sha256",
              expanded.getSha256().toLowerCase(java.util.Locale.ROOT),
              "sizeBytes",
              expanded.getSizeBytes()));
    }
    boolean multicast =
        multicastEnabled
            && delivery != Delivery.Unicast
            && ImageMulticast.allowed(image.getSpec().getMulticast());
    // Unicast is the fallback only where multicast is the route; otherwise it is the route.
    boolean unicast =
        delivery != Delivery.MulticastOnly
            && !ImageMulticast.multicastOnly(image.getSpec().getMulticast())
            && (unicastFallback || !multicast);
    c.put("unicastUrl", unicast ? endpoint + "/content/" + image.getMetadata().getName() : null);
    c.put("multicast", multicast);
    c.put(
        "multicastJoinUrl",
        multicast ? endpoint + "/v1/multicast/join?image=" + image.getMetadata().getName() : null);
    return c;
  }
}
