package io.osdeploy.daemon;

import io.osdeploy.config.DaemonConfig;
import io.osdeploy.daemon.policy.PolicyBook;
import io.osdeploy.daemon.policy.PolicyRequest;
import io.osdeploy.daemon.pxe.ProxyDhcpMetrics;
import io.osdeploy.daemon.pxe.ProxyDhcpResponder;
import io.osdeploy.daemon.pxe.ProxyDhcpSettings;
import io.osdeploy.daemon.pxe.TftpMetrics;
import io.osdeploy.daemon.pxe.TftpServer;
import io.osdeploy.daemon.pxe.TftpSettings;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers PXE clients (proxyDHCP, TFTP for the iPXE binaries) while the distribution point has
 * {@code spec.pxe.enabled}: only machines a PXE-available deployment here could serve, unless it
 * answers all. A port that cannot be bound is logged and leaves HTTP serving.
 */
final class PxeComponent implements DaemonComponent {
  /** Its lines read as the daemon's own, as operators know them. */
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  private final DaemonSettings settings;
  private final PolicyBook policy;
  private final IntSupplier httpPort;

  private volatile ProxyDhcpResponder dhcp;
  private volatile TftpServer tftp;
  private boolean answerAll;

  /**
   * @param httpPort the port this node serves HTTP on, where the answers send machines
   */
  PxeComponent(DaemonSettings settings, PolicyBook policy, IntSupplier httpPort) {
    this.settings = settings;
    this.policy = policy;
    this.httpPort = httpPort;
  }

  @Override
  public synchronized void apply(DaemonConfig next) {
    if (dhcp != null && next.isPxeEnabled() && next.isPxeAnswerAll() != answerAll) {
      // Who gets an answer changed: start again with the new setting.
      stop();
    }
    if (next.isPxeEnabled() && dhcp == null && loopbackOnly()) {
      log.info("PXE is enabled but this daemon listens on loopback only; not answering PXE");
      return;
    }
    if (next.isPxeEnabled() && dhcp == null) {
      start(next);
    } else if (!next.isPxeEnabled() && dhcp != null) {
      stop();
      log.info("PXE off");
    }
  }

  private void start(DaemonConfig next) {
    try {
      if (!(InetAddress.getByName(settings.advertiseAddress()) instanceof Inet4Address address)) {
        throw new IOException(
            "PXE needs an IPv4 advertised address, not " + settings.advertiseAddress());
      }
      ProxyDhcpResponder responder =
          new ProxyDhcpResponder(
              new ProxyDhcpSettings(address, httpPort.getAsInt(), next.isPxeAnswerAll()),
              (mac, uuid) ->
                  !policy
                      .offered(new PolicyRequest(mac, uuid, PolicyRequest.Source.PXE, null))
                      .isEmpty());
      responder.start("0.0.0.0", ProxyDhcpResponder.DHCP_PORT, ProxyDhcpResponder.PXE_PORT);
      TftpServer files = new TftpServer(TftpSettings.debianIpxe());
      try {
        files.start(
            settings.bindAddress() != null ? settings.bindAddress() : "0.0.0.0", TftpServer.PORT);
      } catch (IOException | RuntimeException e) {
        responder.close();
        throw e;
      }
      dhcp = responder;
      tftp = files;
      answerAll = next.isPxeAnswerAll();
      log.info(
          "PXE on: proxyDHCP on ports 67 and 4011, TFTP on 69; answering {}",
          answerAll ? "every PXE client" : "machines a deployment here targets");
    } catch (IOException | RuntimeException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      log.error(
          "{}/{}: PXE cannot start ({}); HTTP keeps serving",
          next.getNamespace(),
          next.getDistributionPoint(),
          e.getMessage());
    }
  }

  /** A daemon bound to loopback (a local run, a test) must not answer DHCP on the host's LAN. */
  private boolean loopbackOnly() {
    try {
      return settings.bindAddress() != null
          && InetAddress.getByName(settings.bindAddress()).isLoopbackAddress();
    } catch (IOException e) {
      return false;
    }
  }

  private void stop() {
    if (dhcp != null) {
      dhcp.close();
      dhcp = null;
    }
    if (tftp != null) {
      tftp.close();
      tftp = null;
    }
  }

  /** The proxyDHCP counters; null while PXE is off. */
  ProxyDhcpMetrics dhcpMetrics() {
    ProxyDhcpResponder current = dhcp;
    return current == null ? null : current.metrics();
  }

  /** The TFTP counters; null while PXE is off. */
  TftpMetrics tftpMetrics() {
    TftpServer current = tftp;
    return current == null ? null : current.metrics();
  }

  @Override
  public synchronized void close() {
    stop();
  }
}
