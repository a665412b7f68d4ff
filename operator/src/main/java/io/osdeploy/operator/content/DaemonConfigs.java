package io.osdeploy.operator.content;

import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.DistributionPointSpec;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.config.DaemonConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** The daemon configuration a distribution point implies. */
public final class DaemonConfigs {
  private DaemonConfigs() {}

  public static DaemonConfig build(DistributionPoint dp, List<OSImage> assigned) {
    DistributionPointSpec spec = dp.getSpec();
    DaemonConfig config = new DaemonConfig();
    config.setNamespace(dp.getMetadata().getNamespace());
    config.setDistributionPoint(dp.getMetadata().getName());
    config.setGeneration(
        dp.getMetadata().getGeneration() == null ? 0 : dp.getMetadata().getGeneration());
    if (spec.getContentPath() != null) {
      config.setContentPath(spec.getContentPath());
    }
    config.setUnicastFallback(!Boolean.FALSE.equals(spec.getUnicastFallback()));
    config.setPxeEnabled(spec.getPxe() != null && Boolean.TRUE.equals(spec.getPxe().getEnabled()));
    config.setPxeAnswerAll(
        spec.getPxe() != null && Boolean.TRUE.equals(spec.getPxe().getAnswerAll()));
    config.setMulticast(spec.getMulticast());
    config.setBootEnvironment(spec.getBootEnvironment());
    config.setMachineTokenDirectory(DaemonConfig.MACHINE_TOKEN_DIRECTORY);
    config.setDeploymentSecretsDirectory(DaemonConfig.DEPLOYMENT_SECRETS_DIRECTORY);
    if (spec.getTls() != null) {
      config.setHttpsPort(spec.getTls().port());
      config.setTlsDirectory(DaemonConfig.TLS_DIRECTORY);
      config.setTlsRequired(Boolean.TRUE.equals(spec.getTls().getRequired()));
    }
    config.setImages(
        assigned.stream()
            .map(
                i -> {
                  DaemonConfig.Image image =
                      new DaemonConfig.Image(
                          i.getMetadata().getName(),
                          i.getSpec().getSource().getUrl(),
                          i.getSpec().getSha256().toLowerCase(java.util.Locale.ROOT),
                          i.getSpec().getSizeBytes());
                  image.setMulticast(i.getSpec().getMulticast());
                  return image;
                })
            .toList());
    return config;
  }

  /**
   * Hash of the settings that need a daemon restart (ports, paths, multicast and PXE). The image
   * list, the boot environment, the PXE password and the generation are left out: the daemon picks
   * those up live, so adding an image does not roll the pods and interrupt running multicast
   * sessions.
   */
  public static String restartHash(DaemonConfig config) {
    DaemonConfig copy = DaemonConfig.copyOf(config);
    copy.setImages(List.of());
    copy.setBootEnvironment(null);
    copy.setPxePasswordHash(null);
    copy.setGeneration(0);
    return sha256(copy.toJson());
  }

  public static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
