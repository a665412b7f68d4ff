package io.osdeploy.operator.testing;

import io.osdeploy.testing.NetnsLan;
import java.io.IOException;
import java.util.List;

/**
 * A site's LAN for end-to-end tests ({@link NetnsLan}): one namespace per distribution-point node
 * or machine on a bridge, and one veth from the test's own namespace (the "host", where the API
 * server and the image source run) at {@link #HOST}. {@link #close} deletes every namespace and so
 * every link.
 */
public final class SiteNetwork implements AutoCloseable {
  public static final String SUBNET = "10.214.0.";
  public static final String HOST = SUBNET + "254";

  private final NetnsLan lan;

  public SiteNetwork() throws IOException, InterruptedException {
    lan = new NetnsLan("osde", SUBNET);
    lan.connectHost(HOST);
  }

  /** A namespace with {@code eth0} on the bridge, the given MAC and the next address. */
  public Member add(String name, String mac) throws IOException, InterruptedException {
    NetnsLan.Node node = lan.add(name, mac);
    return new Member(node.namespace(), node.address(), mac);
  }

  /**
   * A tap device on the bridge, for a QEMU machine: the command that runs QEMU in the bridge's
   * namespace (where the tap is) followed by {@code -netdev tap,ifname=...} options for it.
   */
  public List<String> qemuOnTap(String name) throws IOException, InterruptedException {
    String tap = lan.addTap(name);
    return NetnsLan.exec(
        lan.bridgeNamespace(),
        List.of(
            "qemu-system-x86_64",
            "-netdev",
            "tap,id=n0,ifname=" + tap + ",script=no,downscript=no"));
  }

  /** One namespace on the site's LAN. */
  public record Member(String namespace, String address, String mac) {
    /** Bytes this member has sent on eth0, Ethernet headers included. */
    public long txBytes() throws IOException, InterruptedException {
      return NetnsLan.txBytes(namespace);
    }

    /** Sends what has no better route (a broadcast to 255.255.255.255) out of eth0. */
    public void defaultRouteOnLan() throws IOException, InterruptedException {
      NetnsLan.run("ip", "-n", namespace, "route", "add", "default", "dev", "eth0");
    }

    /** {@code command}, run in this namespace. */
    public List<String> exec(List<String> command) {
      return NetnsLan.exec(namespace, command);
    }
  }

  @Override
  public void close() {
    lan.close();
  }
}
