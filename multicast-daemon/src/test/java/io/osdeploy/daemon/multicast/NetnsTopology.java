package io.osdeploy.daemon.multicast;

import io.osdeploy.testing.NetnsLan;
import java.io.IOException;

/**
 * The multicast tests' LAN ({@link NetnsLan}): node namespaces on one bridge, with random loss and
 * rate caps on their links. {@link #close} deletes them all, with their nftables tables and qdiscs.
 */
final class NetnsTopology implements AutoCloseable {
  static final String SUBNET = "10.213.0.";
  private final NetnsLan lan;

  NetnsTopology() throws IOException, InterruptedException {
    lan = new NetnsLan("osd", SUBNET);
  }

  /** Adds a node namespace with {@code eth0} on the bridge; returns the namespace's name. */
  String addNode(String name) throws IOException, InterruptedException {
    return lan.add(name, null).namespace();
  }

  /** Drops {@code perMille}/1000 of the multicast datagrams arriving in {@code ns}, at random. */
  void addLoss(String ns, int perMille) throws IOException, InterruptedException {
    NetnsLan.runIn(ns, "nft", "add", "table", "inet", "loss");
    NetnsLan.runIn(ns, "nft", "add chain inet loss in { type filter hook input priority 0 ; }");
    NetnsLan.runIn(
        ns,
        "nft",
        "add rule inet loss in ip daddr 224.0.0.0/4 numgen random mod 1000 < "
            + perMille
            + " counter drop");
  }

  /** Caps what {@code ns} sends on eth0. */
  void capRate(String ns, int mbit) throws IOException, InterruptedException {
    NetnsLan.runIn(
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

  /**
   * Caps what the bridge passes on to node {@code name} (the slow link or the slow client a sender
   * can outrun), dropping the rest.
   */
  void capLinkTo(String name, int mbit) throws IOException, InterruptedException {
    NetnsLan.runIn(
        lan.bridgeNamespace(),
        "tc",
        "qdisc",
        "add",
        "dev",
        "p-" + name,
        "root",
        "tbf",
        "rate",
        mbit + "mbit",
        "burst",
        "64kb",
        "latency",
        "20ms");
  }

  /** Bytes {@code ns} has sent on eth0, Ethernet headers included. */
  long txBytes(String ns) throws IOException, InterruptedException {
    return NetnsLan.txBytes(ns);
  }

  @Override
  public void close() {
    lan.close();
  }
}
