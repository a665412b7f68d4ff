package io.osdeploy.operator.reconciler;

import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.config.DaemonConfig;
import io.osdeploy.operator.content.DaemonConfigs;
import io.osdeploy.operator.content.ImageAssignment;
import io.osdeploy.operator.media.PasswordHashes;
import java.util.List;
import java.util.Optional;

/** What one reconcile of a distribution point computes once and its dependents share. */
public final class DistributionPointContext {
  private static final String CONFIG = "osdeploy.daemonConfig";

  private DistributionPointContext() {}

  /** The OS images assigned to {@code dp}, from the informer cache. */
  static List<OSImage> assignedImages(DistributionPoint dp, Context<DistributionPoint> context) {
    @SuppressWarnings("unchecked")
    InformerEventSource<OSImage, DistributionPoint> images =
        (InformerEventSource<OSImage, DistributionPoint>)
            context.eventSourceRetriever().getEventSourceFor(OSImage.class);
    return ImageAssignment.assigned(dp, images.list(dp.getMetadata().getNamespace()).toList());
  }

  private static final PasswordHashes PXE_PASSWORDS = new PasswordHashes();

  /** What PXE passwords are hashed for: part of their salt. */
  private static final String PXE_PASSWORD = "pxe-password";

  /** The Secret of {@code spec.pxe.passwordSecretRef}, if it names one. */
  static Optional<String> pxePasswordSecret(DistributionPoint dp) {
    return dp.getSpec().getPxe() == null || dp.getSpec().getPxe().getPasswordSecretRef() == null
        ? Optional.empty()
        : Optional.of(dp.getSpec().getPxe().getPasswordSecretRef().getName());
  }

  static String pxePasswordKey(DistributionPoint dp) {
    String key = dp.getSpec().getPxe().getPasswordSecretRef().getKey();
    return key == null || key.isBlank() ? "password" : key;
  }

  /** The hash of the site PXE password; empty without one, or while its Secret is missing. */
  static Optional<String> pxePasswordHash(
      DistributionPoint dp, Context<DistributionPoint> context) {
    return pxePasswordSecret(dp)
        .flatMap(
            name ->
                PXE_PASSWORDS.hash(
                    References.lookup(context, Secret.class, dp.getMetadata().getNamespace(), name)
                        .orElse(null),
                    pxePasswordKey(dp),
                    dp.getMetadata().getUid(),
                    PXE_PASSWORD));
  }

  /** The daemon configuration for this reconcile, computed on first use. */
  public static DaemonConfig config(DistributionPoint dp, Context<DistributionPoint> context) {
    var shared = context.managedWorkflowAndDependentResourceContext();
    return shared
        .get(CONFIG, DaemonConfig.class)
        .orElseGet(
            () -> {
              DaemonConfig config = DaemonConfigs.build(dp, assignedImages(dp, context));
              config.setPxePasswordHash(pxePasswordHash(dp, context).orElse(null));
              shared.put(CONFIG, config);
              return config;
            });
  }
}
