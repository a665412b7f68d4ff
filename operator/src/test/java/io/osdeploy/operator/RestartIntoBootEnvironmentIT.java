package io.osdeploy.operator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import io.osdeploy.api.v1alpha1.OSImage;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.operator.testing.BareMetalSite;
import io.osdeploy.operator.testing.BootEnvironmentBuild;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.SiteNode;
import io.osdeploy.operator.testing.TestCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code restart: {intoBootEnvironment: true}} from an installed system, as a refresh of a running
 * machine starts: a QEMU machine runs a small installed system whose service is the agent ({@code
 * --source client}); the required deployment sets a variable, then restarts into the boot
 * environment. The agent downloads the distribution point's kernel and initramfs, adds its state,
 * and starts them with kexec; the boot environment resumes at the next step with the variable, and
 * the deployment succeeds. Needs root, {@code ip}, {@code dnsmasq}, QEMU, gcc and the boot
 * environment's build tools.
 */
class RestartIntoBootEnvironmentIT {
  private static final String MAC = "52:54:00:b4:00:31";

  @RegisterExtension
  static LocallyRunOperatorExtension operator = OperatorTests.operator(TestCluster.newClient());

  private final KubernetesClient client = TestCluster.client();
  private BareMetalSite site;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  Path dir;

  @BeforeEach
  void prerequisites() {
    BareMetalSite.requirePrerequisites();
  }

  @AfterEach
  void stop() throws Exception {
    if (site != null) {
      site.close();
    }
    OperatorTests.deleteAll(
        client,
        operator.getNamespace(),
        TaskSequenceDeployment.class,
        DistributionPoint.class,
        OSImage.class);
  }

  @Test
  void anInstalledSystemRestartsIntoTheBootEnvironmentAndTheSequenceResumesThere()
      throws Exception {
    String ns = operator.getNamespace();
    site = new BareMetalSite(client, ns, dir);
    String server = SiteNode.url(site.dp());
    site.apply(
        String.join(
            "\n",
            "apiVersion: osdeploy.io/v1alpha1",
            "kind: DistributionPoint",
            "metadata: {name: site-vm}",
            "spec: {}",
            "---",
            "apiVersion: osdeploy.io/v1alpha1",
            "kind: TaskSequenceDeployment",
            "metadata: {name: refresh}",
            "spec:",
            "  taskSequence:",
            "    steps:",
            "      - {name: Remember, setVariable: {name: CARRIED, value: from-the-installed-system}}",
            "      - {name: Into the boot environment, restart: {intoBootEnvironment: true}}",
            "      - name: Show",
            "        runCommand:",
            "          command: >-",
            "            test -f /etc/osdeploy/handover/state.json &&",
            "            echo \"refresh-test: resumed with CARRIED=${CARRIED}\" > /dev/console",
            "      - {name: Start the installed system, restart: {}}",
            "  target:",
            "    machines:",
            "      - {name: desk-31, mac: '" + MAC + "'}",
            "  availability: ClientsMediaAndPxe",
            "  purpose: Required",
            "  distributionPoints: [site-vm]"));
    SiteNode node = site.startNode("site-vm-daemon", "node-vm");
    OperatorTests.awaitCondition(
        client,
        ns,
        TaskSequenceDeployment.class,
        "refresh",
        "Ready",
        "True",
        "ContentReady",
        node.daemon()::log);
    Path installed =
        BootEnvironmentBuild.installedSystem(site.bootEnvironment(), dir.resolve("installed.img"));

    BareMetalSite.Machine machine =
        site.machine(
            "desk-31",
            MAC,
            List.of(),
            List.of(
                "-kernel",
                site.bootEnvironment().resolve("vmlinuz").toString(),
                "-initrd",
                installed.toString(),
                "-append",
                "console=ttyS0,115200n8 osdeploy.server=" + server,
                // The boot environment's restart at the end ends the machine, instead of
                // starting the installed system (and its agent) again.
                "-no-reboot"));
    BareMetalSite.awaitConsole(machine, "osdeploy: the deployment is done", Duration.ofMinutes(15));
    String seen = machine.read();
    int installedRan = seen.indexOf("installed-system: running the agent");
    int restarting = seen.indexOf("refresh: step 2 of 4: Into the boot environment");
    int booted = seen.indexOf("osdeploy: boot environment ");
    int handedOver = seen.indexOf("osdeploy: the installed system handed over its task sequence");
    int resumed = seen.indexOf("resuming refresh at step 3 of 4");
    int shown = seen.indexOf("refresh-test: resumed with CARRIED=from-the-installed-system");
    assertTrue(installedRan >= 0 && restarting > installedRan, machine.tail());
    assertTrue(booted > restarting, "kexec started the boot environment:\n" + machine.tail());
    assertTrue(handedOver > booted && resumed > handedOver, machine.tail());
    assertTrue(shown > resumed, "the variable crossed the restart:\n" + machine.tail());
    assertTrue(!seen.contains("installed-system: the agent exited"), machine.tail());
    assertTrue(machine.process().waitFor(2, TimeUnit.MINUTES), "the machine restarted");
    await("the deployment's status counting the machine")
        .atMost(OperatorTests.TIMEOUT)
        .untilAsserted(
            () ->
                assertEquals(
                    1,
                    client
                        .resources(TaskSequenceDeployment.class)
                        .inNamespace(ns)
                        .withName("refresh")
                        .get()
                        .getStatus()
                        .getMachines()
                        .getSucceeded()));
  }
}
