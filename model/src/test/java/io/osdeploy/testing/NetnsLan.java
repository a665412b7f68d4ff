package io.osdeploy.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * them every link, qdisc and nftables table in them. A run killed before {@link #close} leaves its
 * namespaces, and its host end still holds the subnet's host address, so the next LAN with the same
 * tag first deletes those of any run whose process is gone (each LAN records its process in {@link
 * #OWNERS}). Needs root and {@code ip}.
 */
public final class NetnsLan implements AutoCloseable {
  private static final Pattern TX_BYTES = Pattern.compile("\"tx\":\\{\"bytes\":(\\d+)");

  /** One file per LAN, named by its prefix, holding the process id of the test that made it. */
  public static final Path OWNERS = Path.of("/run/osdeploy-test-lans");

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
    removeAbandoned(tag);
    this.prefix = tag + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
    this.subnet = subnet;
    Files.createDirectories(OWNERS);
    Files.writeString(OWNERS.resolve(prefix), Long.toString(ProcessHandle.current().pid()));
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

  /**
   * Deletes the namespaces, and so the links, of every LAN tagged {@code tag} whose process is not
   * running: a test killed before {@link #close}. A LAN with no owner record counts as abandoned.
   */
  public static void removeAbandoned(String tag) throws IOException, InterruptedException {
    Pattern ours = Pattern.compile("^(" + Pattern.quote(tag) + "-[0-9a-f]{1,6})-");
    for (String line : run("ip", "netns", "list").split("\n")) {
      String ns = line.split(" ", 2)[0];
      Matcher m = ours.matcher(ns);
      if (m.find() && !running(m.group(1))) {
        System.err.println("deleting namespace " + ns + " of a test run that is gone");
        run("ip", "netns", "del", ns);
      }
    }
    // With its bridge's namespace gone the host end goes too; one left over is deleted here.
    for (String line : run("ip", "-o", "link", "show").split("\n")) {
      String[] fields = line.split(": ", 3);
      if (fields.length < 2) {
        continue;
      }
      String link = fields[1].split("@", 2)[0];
      Matcher m = ours.matcher(link);
      if (m.find() && !running(m.group(1))) {
        System.err.println("deleting link " + link + " of a test run that is gone");
        try {
          run("ip", "link", "del", link);
        } catch (IOException e) {
          // Deleting one end of a veth pair deletes the other, which may come later in the list.
          if (!e.getMessage().contains("Cannot find device")) {
            throw e;
          }
        }
      }
    }
    if (Files.isDirectory(OWNERS)) {
      try (var owners = Files.list(OWNERS)) {
        for (Path owner : owners.toList()) {
          String prefix = owner.getFileName().toString();
          if (prefix.startsWith(tag + "-") && !running(prefix)) {
            Files.deleteIfExists(owner);
          }
        }
      }
    }
  }

  private static boolean running(String prefix) throws IOException {
    Path owner = OWNERS.resolve(prefix);
    if (!Files.isRegularFile(owner)) {
      return false;
    }
    long pid;
    try {
      pid = Long.parseLong(Files.readString(owner).trim());
    } catch (NumberFormatException e) {
      return false;
    }
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
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
    try {
      Files.deleteIfExists(OWNERS.resolve(prefix));
    } catch (IOException e) {
      System.err.println("cleanup: " + e.getMessage());
    }
  }
}
