package io.osdeploy.operator.testing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A site's LAN for end-to-end tests: a Linux bridge in a network namespace of its own, one
 * namespace per distribution-point node or machine on it, and one veth from the test's own
 * namespace (the "host", where the API server and the image source run) at {@link #HOST}. Names
 * carry a random run id; {@link #close} deletes every namespace and so every link.
 */
public final class SiteNetwork implements AutoCloseable {
  public static final String SUBNET = "10.214.0.";
  public static final String HOST = SUBNET + "254";

  private final String prefix =
      "osde-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 20));
  private final String bridgeNs = prefix + "-br";
  private final List<String> namespaces = new ArrayList<>();
  private int nextHost = 1;

  public SiteNetwork() throws IOException, InterruptedException {
    addNamespace(bridgeNs);
    run("ip", "-n", bridgeNs, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0");
    run("ip", "-n", bridgeNs, "link", "set", "br0", "up");
    String hostEnd = prefix + "-h";
    run("ip", "link", "add", hostEnd, "type", "veth", "peer", "name", "host", "netns", bridgeNs);
    run("ip", "-n", bridgeNs, "link", "set", "host", "master", "br0", "up");
    run("ip", "addr", "add", HOST + "/24", "dev", hostEnd);
    run("ip", "link", "set", hostEnd, "up");
  }

  /** A namespace with {@code eth0} on the bridge, the given MAC and the next address. */
  public Member add(String name, String mac) throws IOException, InterruptedException {
    String ns = prefix + "-" + name;
    addNamespace(ns);
    String port = "p-" + name;
    run(
        "ip", "-n", bridgeNs, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns",
        ns);
    run("ip", "-n", bridgeNs, "link", "set", port, "master", "br0", "up");
    run("ip", "-n", ns, "link", "set", "lo", "up");
    run("ip", "-n", ns, "link", "set", "eth0", "address", mac);
    String address = SUBNET + nextHost++;
    run("ip", "-n", ns, "addr", "add", address + "/24", "dev", "eth0");
    run("ip", "-n", ns, "link", "set", "eth0", "up");
    run("ip", "-n", ns, "route", "add", "224.0.0.0/4", "dev", "eth0");
    return new Member(ns, address, mac);
  }

  /**
   * A tap device on the bridge, for a QEMU machine: the command that runs QEMU in the bridge's
   * namespace (where the tap is) followed by {@code -netdev tap,ifname=...} options for it.
   */
  public List<String> qemuOnTap(String name) throws IOException, InterruptedException {
    String tap = "t-" + name;
    run("ip", "-n", bridgeNs, "tuntap", "add", "dev", tap, "mode", "tap");
    run("ip", "-n", bridgeNs, "link", "set", tap, "master", "br0", "up");
    return new ArrayList<>(
        List.of(
            "ip",
            "netns",
            "exec",
            bridgeNs,
            "qemu-system-x86_64",
            "-netdev",
            "tap,id=n0,ifname=" + tap + ",script=no,downscript=no"));
  }

  /** One namespace on the site's LAN. */
  public record Member(String namespace, String address, String mac) {
    /** Bytes this member has sent on eth0, Ethernet headers included. */
    public long txBytes() throws IOException, InterruptedException {
      String out = run("ip", "-s", "-j", "-n", namespace, "link", "show", "dev", "eth0");
      Matcher m = Pattern.compile("\"tx\":\\{\"bytes\":(\\d+)").matcher(out);
      if (!m.find()) {
        throw new IOException("no tx bytes in: " + out);
      }
      return Long.parseLong(m.group(1));
    }

    /** Sends what has no better route (a broadcast to 255.255.255.255) out of eth0. */
    public void defaultRouteOnLan() throws IOException, InterruptedException {
      run("ip", "-n", namespace, "route", "add", "default", "dev", "eth0");
    }

    /** {@code command}, run in this namespace. */
    public List<String> exec(List<String> command) {
      List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
      all.addAll(command);
      return all;
    }
  }

  private void addNamespace(String ns) throws IOException, InterruptedException {
    run("ip", "netns", "add", ns);
    namespaces.add(ns);
  }

  static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + out);
    }
    return out;
  }

  @Override
  public void close() {
    for (int i = namespaces.size() - 1; i >= 0; i--) {
      try {
        run("ip", "netns", "del", namespaces.get(i));
      } catch (IOException | InterruptedException e) {
        System.err.println("cleanup: " + e.getMessage());
      }
    }
    namespaces.clear();
  }
}
