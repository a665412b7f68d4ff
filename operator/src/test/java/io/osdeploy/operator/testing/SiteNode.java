package io.osdeploy.operator.testing;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A distribution point's node on a site's LAN: the daemon jar in a member's network namespace, on
 * {@link #PORT}, reading its ConfigMap through a relay from {@link SiteNetwork#HOST} to the test's
 * API server (which listens on loopback only), as a pod would through the cluster's network.
 * Closing stops the daemon, then the relay.
 */
public final class SiteNode implements AutoCloseable {
  public static final int PORT = 9080;

  private final TcpRelay relay;
  private final DaemonProcess daemon;

  private SiteNode(TcpRelay relay, DaemonProcess daemon) {
    this.relay = relay;
    this.daemon = daemon;
  }

  /** Where machines on the LAN reach the daemon in {@code member}. */
  public static String url(SiteNetwork.Member member) {
    return "http://" + member.address() + ":" + PORT;
  }

  /**
   * Rolls out the operator's DaemonSet {@code daemonSet} (no kubelet runs in these tests) and
   * starts its daemon for {@code node} in {@code member}, with its kubeconfig and content under
   * {@code dir}.
   */
  public static SiteNode start(
      KubernetesClient client,
      String namespace,
      String daemonSet,
      SiteNetwork.Member member,
      String node,
      Path dir)
      throws IOException {
    return start(client, namespace, daemonSet, member, node, dir, List.of());
  }

  /** As {@link #start}, with more of the daemon's flags ({@code --boot-environment=...}). */
  public static SiteNode start(
      KubernetesClient client,
      String namespace,
      String daemonSet,
      SiteNetwork.Member member,
      String node,
      Path dir,
      List<String> flags)
      throws IOException {
    TcpRelay relay = new TcpRelay(SiteNetwork.HOST, TestCluster.apiServerAddress());
    try {
      Path kubeconfig = dir.resolve("kubeconfig-" + node);
      Files.writeString(
          kubeconfig, TestCluster.kubeConfigThrough(SiteNetwork.HOST + ":" + relay.port()));
      OperatorTests.rollOut(client, namespace, daemonSet, 1);
      DaemonProcess daemon =
          DaemonProcess.startIn(
              member,
              node,
              namespace,
              daemonSet,
              kubeconfig,
              dir.resolve("content-" + node),
              PORT,
              flags);
      return new SiteNode(relay, daemon);
    } catch (IOException | RuntimeException e) {
      relay.close();
      throw e;
    }
  }

  public DaemonProcess daemon() {
    return daemon;
  }

  @Override
  public void close() throws Exception {
    daemon.close();
    relay.close();
  }
}
