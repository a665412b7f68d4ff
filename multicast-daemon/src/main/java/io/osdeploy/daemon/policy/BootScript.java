package io.osdeploy.daemon.policy;

import io.osdeploy.api.v1alpha1.DistributionPointSpec.BootEnvironment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.daemon.boot.BootEnvironmentFiles;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The iPXE script a booting machine gets from {@code /v1/boot.ipxe}: boot the boot environment with
 * where to find policy on its command line, or say why there is nothing to run and go back to the
 * local disk. Every value in the script has been validated (MAC, UUID, deployment name) or comes
 * from the distribution point's own configuration.
 */
public final class BootScript {
  /**
   * Kernel arguments of the boot environment the daemon ships: its messages on the screen and on
   * the first serial port, the kernel's own only when they matter.
   */
  public static final String BUILT_IN_ARGS = "console=tty0 console=ttyS0,115200n8 quiet";

  private BootScript() {}

  /** The boot environment the daemon ships, as served at {@code base}'s {@code /boot/}. */
  public static BootEnvironment builtIn(String base) {
    return fromNode(base, BUILT_IN_ARGS);
  }

  /** A boot environment served at {@code base}'s {@code /boot/}, booted with {@code args}. */
  public static BootEnvironment fromNode(String base, String args) {
    BootEnvironment environment = new BootEnvironment();
    environment.setKernelUrl(base + "/boot/" + BootEnvironmentFiles.KERNEL);
    environment.setInitrdUrl(base + "/boot/" + BootEnvironmentFiles.INITRD);
    environment.setArgs(args);
    return environment;
  }

  public static String render(
      PolicyRequest request,
      List<TaskSequenceDeployment> offered,
      BootEnvironment environment,
      String endpoint,
      String distributionPoint) {
    return render(request, offered, environment, endpoint, distributionPoint, null);
  }

  /**
   * With {@code caFingerprint}, the SHA-256 of the CA the agent is to pin for an https:// {@code
   * endpoint} ({@code osdeploy.ca=}); null leaves it out.
   */
  public static String render(
      PolicyRequest request,
      List<TaskSequenceDeployment> offered,
      BootEnvironment environment,
      String endpoint,
      String distributionPoint,
      String caFingerprint) {
    return render(
        request, offered, List.of(), environment, endpoint, distributionPoint, caFingerprint, null);
  }

  /**
   * With {@code done}, the required deployments this machine has already succeeded: with nothing
   * else offered, the machine starts from its own disk. {@code token} is the machine's token for
   * what follows ({@code osdeploy.token=}); null leaves it out.
   */
  public static String render(
      PolicyRequest request,
      List<TaskSequenceDeployment> offered,
      List<String> done,
      BootEnvironment environment,
      String endpoint,
      String distributionPoint,
      String caFingerprint,
      String token) {
    String machine = request.mac() != null ? request.mac() : request.uuid();
    StringBuilder s = new StringBuilder("#!ipxe\n");
    s.append("# osdeploy: DistributionPoint ").append(distributionPoint).append('\n');
    if (offered.isEmpty() && !done.isEmpty()) {
      s.append("echo osdeploy: ")
          .append(String.join(", ", done))
          .append(" already succeeded on ")
          .append(machine)
          .append("; starting from the local disk\n");
      return localDisk(s);
    }
    if (offered.isEmpty()) {
      s.append("echo osdeploy: no deployment is offered to ")
          .append(machine)
          .append(" from ")
          .append(request.source().name().toLowerCase(Locale.ROOT))
          .append("; starting from the local disk\n");
      return localDisk(s);
    }
    if (environment == null) {
      s.append("echo osdeploy: DistributionPoint ")
          .append(distributionPoint)
          .append(
              " has no boot environment to serve (spec.bootEnvironment not yet pulled and"
                  + " verified on this node, or none shipped with its daemon); starting from the"
                  + " local disk\n");
      return localDisk(s);
    }
    s.append("echo osdeploy: ")
        .append(offered.size())
        .append(offered.size() == 1 ? " deployment" : " deployments")
        .append(" for ")
        .append(machine)
        .append(": ")
        .append(
            offered.stream().map(d -> d.getMetadata().getName()).collect(Collectors.joining(", ")))
        .append('\n');
    s.append("kernel ").append(environment.getKernelUrl()).append(" initrd=initrd");
    s.append(" osdeploy.server=").append(endpoint);
    if (caFingerprint != null) {
      s.append(" osdeploy.ca=").append(caFingerprint);
    }
    s.append(" osdeploy.source=").append(request.source().name().toLowerCase(Locale.ROOT));
    if (request.mac() != null) {
      s.append(" osdeploy.mac=").append(request.mac());
    }
    if (request.uuid() != null) {
      s.append(" osdeploy.uuid=").append(request.uuid());
    }
    if (request.deployment() != null) {
      s.append(" osdeploy.deployment=").append(request.deployment());
    }
    if (token != null) {
      s.append(" osdeploy.token=").append(token);
    }
    if (environment.getArgs() != null && !environment.getArgs().isBlank()) {
      s.append(' ').append(environment.getArgs());
    }
    s.append('\n');
    s.append("initrd --name initrd ").append(environment.getInitrdUrl()).append('\n');
    return s.append("boot\n").toString();
  }

  /**
   * Starts the first hard disk: under BIOS by iPXE's own SAN boot of drive 0x80 (iPXE started from
   * media cannot hand back to the firmware); under UEFI, and where that fails, by handing the
   * machine back to the firmware with a failure, so that it tries its next boot option (a UEFI
   * firmware shows its menu when a boot option returns success).
   */
  private static String localDisk(StringBuilder s) {
    return s.append("sleep 5\n")
        .append("iseq ${platform} pcbios && sanboot --no-describe --drive 0x80 ||\n")
        .append("exit 1\n")
        .toString();
  }
}
