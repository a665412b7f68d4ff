package io.osdeploy.testing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A LAN of Linux network namespaces for tests: a bridge in a namespace of its own, and namespaces
 * joined to it by veth pairs, each with {@code eth0} on the bridge and the next address of a /24.
 * Nothing in the test's own namespace changes unless {@link #connectHost} asks. Names carry a
 * random run id, so runs side by side do not meet; {@link #close} deletes every namespace, and with
 * them every link, qdisc and nftables table in them. Needs root and {@code ip}.
 */
public final class NetnsLan implements AutoCloseable {
  private static final Pattern TX_BYTES = Pattern.compile("\"tx\":\\{\"bytes\":(\\d+)");

  private final String prefix;
  private final String subnet;
  private final String bridgeNs;
  private final List<String> namespaces = new ArrayList<>();
  private int nextHost = 1;

  /**
   * A bridge with no namespace on it yet. Every name starts with {@code tag}; {@code subnet} is the
   * /24 the namespaces get addresses in, as its first three octets and a dot ({@code 10.213.0.}).
   */
  public NetnsLan(String tag, String subnet) throws IOException, InterruptedException {
    this.prefix = tag + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
    this.subnet = subnet;
    this.bridgeNs = prefix + "-br";
    addNamespace(bridgeNs);
    // Without snooping the bridge floods multicast to every port, as an unmanaged switch does.
    run("ip", "-n", bridgeNs, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0");
    run("ip", "-n", bridgeNs, "link", "set", "br0", "up");
  }

  /** One namespace on the LAN, with {@code eth0} at {@code address}. */
  public record Node(String namespace, String address) {}

  /**
   * Adds namespace {@code name} with {@code eth0} on the bridge, the next address and a route for
   * multicast out of {@code eth0}; {@code mac} sets eth0's MAC unless it is null.
   */
  public Node add(String name, String mac) throws IOException, InterruptedException {
    String ns = prefix + "-" + name;
    addNamespace(ns);
    String port = "p-" + name;
    run(
        "ip", "-n", bridgeNs, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns",
        ns);
    run("ip", "-n", bridgeNs, "link", "set", port, "master", "br0", "up");
    run("ip", "-n", ns, "link", "set", "lo", "up");
    if (mac != null) {
      run("ip", "-n", ns, "link", "set", "eth0", "address", mac);
    }
    String address = subnet + nextHost++;
    run("ip", "-n", ns, "addr", "add", address + "/24", "dev", "eth0");
    run("ip", "-n", ns, "link", "set", "eth0", "up");
    run("ip", "-n", ns, "route", "add", "224.0.0.0/4", "dev", "eth0");
    return new Node(ns, address);
  }

  /**
   * A veth from the test's own namespace onto the bridge, with {@code address} (in the subnet,
   * above the nodes') on the test's end: how nodes reach servers the test runs.
   */
  public void connectHost(String address) throws IOException, InterruptedException {
    String hostEnd = prefix + "-h";
    run("ip", "link", "add", hostEnd, "type", "veth", "peer", "name", "host", "netns", bridgeNs);
    run("ip", "-n", bridgeNs, "link", "set", "host", "master", "br0", "up");
    run("ip", "addr", "add", address + "/24", "dev", hostEnd);
    run("ip", "link", "set", hostEnd, "up");
  }

  /** A tap device {@code t-name} on the bridge, in {@link #bridgeNamespace()}; returns its name. */
  public String addTap(String name) throws IOException, InterruptedException {
    String tap = "t-" + name;
    run("ip", "-n", bridgeNs, "tuntap", "add", "dev", tap, "mode", "tap");
    run("ip", "-n", bridgeNs, "link", "set", tap, "master", "br0", "up");
    return tap;
  }

  /** The namespace the bridge (and any tap) is in. */
  public String bridgeNamespace() {
    return bridgeNs;
  }

  /** Bytes namespace {@code ns} has sent on eth0, Ethernet headers included. */
  public static long txBytes(String ns) throws IOException, InterruptedException {
    String out = run("ip", "-s", "-j", "-n", ns, "link", "show", "dev", "eth0");
    Matcher m = TX_BYTES.matcher(out);
    if (!m.find()) {
      throw new IOException("no tx bytes in: " + out);
    }
    return Long.parseLong(m.group(1));
  }

  /** {@code command}, to be run in namespace {@code ns}; a list the caller may add to. */
  public static List<String> exec(String ns, List<String> command) {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    all.addAll(command);
    return all;
  }

  /** Runs {@code command} in namespace {@code ns}, as {@link #run} does. */
  public static String runIn(String ns, String... command)
      throws IOException, InterruptedException {
    return run(exec(ns, List.of(command)).toArray(String[]::new));
  }

  /** Runs {@code command} and returns its output; a failure or a 30 s hang is an exception. */
  public static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + out);
    }
    return out;
  }

  private void addNamespace(String ns) throws IOException, InterruptedException {
    run("ip", "netns", "add", ns);
    namespaces.add(ns);
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
