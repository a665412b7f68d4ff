package io.osdeploy.daemon.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.api.v1alpha1.DistributionPointSpec.BootEnvironment;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import java.util.List;
import org.junit.jupiter.api.Test;

class BootScriptTest {
  private static final PolicyRequest PXE =
      new PolicyRequest("52:54:00:00:00:01", null, PolicyRequest.Source.PXE, null);

  private static BootEnvironment environment() {
    BootEnvironment e = new BootEnvironment();
    e.setKernelUrl("http://boot.example/vmlinuz");
    e.setInitrdUrl("http://boot.example/initrd.img");
    e.setArgs("console=ttyS0");
    return e;
  }

  private static TaskSequenceDeployment deployment(String name) {
    TaskSequenceDeployment d = new TaskSequenceDeployment();
    d.getMetadata().setName(name);
    return d;
  }

  @Test
  void bootsTheBootEnvironmentWithWhereToFindPolicy() {
    assertEquals(
        String.join(
            "\n",
            "#!ipxe",
            "# osdeploy: DistributionPoint site/berlin",
            "echo osdeploy: 1 deployment for 52:54:00:00:00:01: win11",
            "kernel http://boot.example/vmlinuz initrd=initrd osdeploy.server=http://dp:9080"
                + " osdeploy.source=pxe osdeploy.mac=52:54:00:00:00:01 console=ttyS0",
            "initrd --name initrd http://boot.example/initrd.img",
            "boot",
            ""),
        BootScript.render(
            PXE, List.of(deployment("win11")), environment(), "http://dp:9080", "site/berlin"));
  }

  @Test
  void overHttpsTheAgentIsSentToTheHttpsEndpointPinningTheCa() {
    String script =
        BootScript.render(
            PXE,
            List.of(deployment("win11")),
            environment(),
            "https://dp:9443",
            "site/berlin",
            "ab".repeat(32));
    assertTrue(
        script.contains(" osdeploy.server=https://dp:9443 osdeploy.ca=" + "ab".repeat(32) + " "),
        script);
  }

  @Test
  void nothingOfferedGoesBackToTheLocalDisk() {
    assertEquals(
        String.join(
            "\n",
            "#!ipxe",
            "# osdeploy: DistributionPoint site/berlin",
            "echo osdeploy: no deployment is offered to 52:54:00:00:00:01 from pxe; starting from"
                + " the local disk",
            "sleep 5",
            "iseq ${platform} pcbios && sanboot --no-describe --drive 0x80 ||",
            "exit 1",
            ""),
        BootScript.render(PXE, List.of(), environment(), "http://dp:9080", "site/berlin"));
  }

  @Test
  void noBootEnvironmentSaysWhichFieldIsMissing() {
    String script =
        BootScript.render(PXE, List.of(deployment("win11")), null, "http://dp:9080", "site/berlin");
    assertEquals(
        "echo osdeploy: DistributionPoint site/berlin has no boot environment to serve"
            + " (spec.bootEnvironment not yet pulled and verified on this node, or none shipped"
            + " with its daemon); starting from the local disk",
        script.lines().toList().get(2));
  }

  @Test
  void theBuiltInBootEnvironmentComesFromTheNodeItself() {
    String script =
        BootScript.render(
            PXE,
            List.of(deployment("win11")),
            BootScript.builtIn("https://10.0.0.5:9443"),
            "https://10.0.0.5:9443",
            "site/berlin",
            "ab".repeat(32));
    assertTrue(
        script.contains("\nkernel https://10.0.0.5:9443/boot/vmlinuz initrd=initrd "), script);
    assertTrue(
        script.contains("\ninitrd --name initrd https://10.0.0.5:9443/boot/initrd.img\n"), script);
    assertTrue(script.contains(" console=tty0 console=ttyS0,115200n8"), script);
  }

  @Test
  void aRequiredDeploymentAlreadySucceededStartsTheLocalDisk() {
    String script =
        BootScript.render(
            PXE,
            List.of(),
            List.of("win11"),
            environment(),
            "http://dp:9080",
            "site/berlin",
            null,
            null);
    assertEquals(
        "echo osdeploy: win11 already succeeded on 52:54:00:00:00:01; starting from the local disk",
        script.lines().toList().get(2));
    assertTrue(script.endsWith("sanboot --no-describe --drive 0x80 ||\nexit 1\n"), script);
    assertTrue(!script.contains("kernel "), script);
  }

  @Test
  void theMachinesTokenGoesOnTheKernelCommandLine() {
    String script =
        BootScript.render(
            PXE,
            List.of(deployment("win11")),
            List.of(),
            environment(),
            "http://dp:9080",
            "site/berlin",
            null,
            "eyJhIjoxfQ.c2ln");
    assertTrue(script.contains(" osdeploy.token=eyJhIjoxfQ.c2ln"), script);
  }
}
