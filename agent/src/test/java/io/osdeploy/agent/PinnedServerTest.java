package io.osdeploy.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.daemon.Daemon;
import io.osdeploy.daemon.DaemonSettings;
import io.osdeploy.daemon.config.ConfigFileSource;
import io.osdeploy.daemon.http.TlsMaterial;
import io.osdeploy.daemon.testing.OpensslCa;
import io.osdeploy.daemon.testing.Prerequisites;
import io.osdeploy.transfer.tls.PinnedCa;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent and a real daemon over HTTPS, the agent pinning the daemon's CA. */
class PinnedServerTest {
  @TempDir Path dir;
  private Daemon daemon;
  private OpensslCa site;
  private String https;

  @BeforeEach
  void start() throws Exception {
    Prerequisites.require(OpensslCa.available(), "openssl (Debian package openssl)");
    site = OpensslCa.create(dir.resolve("ca"), "site CA");
    Path tls = site.issue(dir.resolve("tls"), "127.0.0.1");
    int httpsPort;
    try (ServerSocket free = new ServerSocket(0)) {
      httpsPort = free.getLocalPort();
    }
    Path config = dir.resolve("daemon.json");
    Files.writeString(
        config,
        """
        {"namespace": "site", "distributionPoint": "berlin", "generation": 1,
         "contentPath": "%s", "httpPort": 9080, "httpsPort": %d, "tlsDirectory": "%s",
         "images": []}
        """
            .formatted(dir.resolve("content"), httpsPort, tls));
    daemon =
        new Daemon(
            new DaemonSettings(
                "node-a",
                "test",
                "127.0.0.1",
                "127.0.0.1",
                0,
                null,
                Duration.ofMillis(100),
                Duration.ofMillis(100)),
            null,
            null);
    daemon.start();
    daemon.addConfigSource(
        new ConfigFileSource(config, daemon.configTracker(), Duration.ofMillis(20)));
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (daemon.nodeStatus().getHttpsEndpoint() == null && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    https = daemon.nodeStatus().getHttpsEndpoint();
    assertNotNull(https, "the daemon serves HTTPS");
  }

  @AfterEach
  void stop() {
    if (daemon != null) {
      daemon.close();
    }
  }

  @Test
  void theAgentGetsItsPolicyFromAServerOfThePinnedCa() throws Exception {
    String pin = PinnedCa.fingerprint(TlsMaterial.load(dir.resolve("tls")).chain().get(1));
    AgentOptions options =
        AgentOptions.parse(
            List.of("--server", https, "--ca-fingerprint", pin, "--mac", "52:54:00:00:00:01"));
    DistributionPointClient client =
        new DistributionPointClient(
            options.server(),
            new Identity("52:54:00:00:00:01", null),
            Duration.ofSeconds(2),
            options.tls());
    Policy policy = client.policy(null);
    assertTrue(policy.deployments().isEmpty(), "nothing for this machine, but an answer");
  }

  @Test
  void theAgentRefusesAServerOfAnotherCa() throws Exception {
    OpensslCa other = OpensslCa.create(dir.resolve("other"), "other CA");
    Path otherTls = other.issue(dir.resolve("other-tls"), "127.0.0.1");
    String pin = PinnedCa.fingerprint(TlsMaterial.load(otherTls).chain().get(1));
    AgentOptions options = AgentOptions.parse(List.of("--server", https, "--ca-fingerprint", pin));
    DistributionPointClient client =
        new DistributionPointClient(
            options.server(),
            new Identity("52:54:00:00:00:01", null),
            Duration.ofSeconds(1),
            options.tls());
    assertThrows(IOException.class, () -> client.policy(null));
  }

  @Test
  void aPinNeedsHttps() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                AgentOptions.parse(
                    List.of(
                        "--server", "http://10.0.0.5:9080", "--ca-fingerprint", "ab".repeat(32))));
    assertEquals("--ca-fingerprint: needs an https:// --server", e.getMessage());
  }
}
