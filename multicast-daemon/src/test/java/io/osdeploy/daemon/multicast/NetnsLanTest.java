package io.osdeploy.daemon.multicast;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.daemon.testing.Prerequisites;
import io.osdeploy.testing.NetnsLan;
import java.nio.file.Files;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A test run killed before it closed its LAN leaves namespaces and a host end holding the subnet's
 * host address; the next LAN with the same tag deletes them, and leaves a running test's LAN alone.
 */
class NetnsLanTest {
  private static final String TAG = "osdt";

  @BeforeAll
  static void needsRoot() {
    Prerequisites.require(Prerequisites.root(), "root (network namespaces)");
    Prerequisites.require(Prerequisites.onPath("ip"), "ip (apt-get install iproute2)");
  }

  @Test
  void aLanOfAProcessThatIsGoneIsDeletedAndARunningOnesIsKept() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    String killed = TAG + "-dead01";
    String unrecorded = TAG + "-01d";
    Files.createDirectories(NetnsLan.OWNERS);
    Files.writeString(NetnsLan.OWNERS.resolve(killed), Long.toString(gone.pid()));
    try (NetnsLan running = new NetnsLan(TAG, "10.212.0.")) {
      String live = running.add("a", null).namespace();
      NetnsLan.run("ip", "netns", "add", killed + "-br");
      NetnsLan.run("ip", "netns", "add", unrecorded + "-br");
      NetnsLan.run(
          "ip",
          "link",
          "add",
          killed + "-h",
          "type",
          "veth",
          "peer",
          "name",
          "host",
          "netns",
          killed + "-br");
      NetnsLan.run(
          "ip",
          "link",
          "add",
          unrecorded + "-h",
          "type",
          "veth",
          "peer",
          "name",
          unrecorded + "-p");

      NetnsLan.removeAbandoned(TAG);

      String namespaces = NetnsLan.run("ip", "netns", "list");
      String links = NetnsLan.run("ip", "-o", "link", "show");
      assertFalse(namespaces.contains(killed), namespaces);
      assertFalse(namespaces.contains(unrecorded), namespaces);
      assertFalse(links.contains(killed + "-h"), links);
      assertFalse(links.contains(unrecorded + "-h"), links);
      assertFalse(Files.exists(NetnsLan.OWNERS.resolve(killed)));
      assertTrue(namespaces.contains(live), namespaces);
      assertTrue(namespaces.contains(running.bridgeNamespace()), namespaces);
    }
  }
}
