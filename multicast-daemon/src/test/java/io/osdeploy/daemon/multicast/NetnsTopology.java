package io.osdeploy.daemon.multicast;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Network namespaces joined by veth pairs to a Linux bridge in a namespace of its own, so nothing
 * in the host's namespace changes. Names carry a random run id; {@link #close} deletes them all.
 */
final class NetnsTopology implements AutoCloseable {
  static final String SUBNET = "10.213.0.";
  final String prefix = "osd-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
  private final String bridgeNs = prefix + "-br";
  private final List<String> namespaces = new ArrayList<>();
  private int nextHost = 1;

  NetnsTopology() throws IOException, InterruptedException {
    addNamespace(bridgeNs);
    run("ip", "-n", bridgeNs, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0");
    run("ip", "-n", bridgeNs, "link", "set", "br0", "up");
  }

  /** Adds a node namespace with {@code eth0} on the bridge; returns the namespace's name. */
  String addNode(String name) throws IOException, InterruptedException {
    String ns = prefix + "-" + name;
    addNamespace(ns);
    String port = "p-" + name;
    run(
        "ip", "-n", bridgeNs, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns",
        ns);
    run("ip", "-n", bridgeNs, "link", "set", port, "master", "br0", "up");
    run("ip", "-n", ns, "link", "set", "lo", "up");
    run("ip", "-n", ns, "addr", "add", SUBNET + nextHost++ + "/24", "dev", "eth0");
    run("ip", "-n", ns, "link", "set", "eth0", "up");
    run("ip", "-n", ns, "route", "add", "224.0.0.0/4", "dev", "eth0");
    return ns;
  }

  /** Drops {@code perMille}/1000 of the multicast datagrams arriving in {@code ns}, at random. */
  void addLoss(String ns, int perMille) throws IOException, InterruptedException {
    run("ip", "netns", "exec", ns, "nft", "add", "table", "inet", "loss");
    run(
        "ip",
        "netns",
        "exec",
        ns,
        "nft",
        "add chain inet loss in { type filter hook input priority 0 ; }");
    run(
        "ip",
        "netns",
        "exec",
        ns,
        "nft",
        "add rule inet loss in ip daddr 224.0.0.0/4 numgen random mod 1000 < "
            + perMille
            + " counter drop");
  }

  /** Caps what {@code ns} sends on eth0. */
  void capRate(String ns, int mbit) throws IOException, InterruptedException {
    run(
        "ip",
        "netns",
        "exec",
        ns,
        "tc",
        "qdisc",
        "add",
        "dev",
        "eth0",
        "root",
        "tbf",
        "rate",
        mbit + "mbit",
        "burst",
        "256kb",
        "latency",
        "200ms");
  }

  /** Bytes {@code ns} has sent on eth0, Ethernet headers included. */
  long txBytes(String ns) throws IOException, InterruptedException {
    String out = run("ip", "-s", "-j", "-n", ns, "link", "show", "dev", "eth0");
    Matcher m = Pattern.compile("\"tx\":\\{\"bytes\":(\\d+)").matcher(out);
    if (!m.find()) {
      throw new IOException("no tx bytes in: " + out);
    }
    return Long.parseLong(m.group(1));
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
    // Deleting a namespace deletes its veth ends and qdiscs; nft tables go with the namespace.
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
