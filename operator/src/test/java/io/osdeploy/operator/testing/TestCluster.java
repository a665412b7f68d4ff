package io.osdeploy.operator.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.osdeploy.operator.local.LocalApiServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;

/**
 * One real kube-apiserver and etcd per test JVM, shared by the integration tests and stopped when
 * the JVM exits. Each test works in a namespace of its own.
 */
public final class TestCluster {
  private static LocalApiServer server;
  private static KubernetesClient client;
  private static java.nio.file.Path auditLog;

  private TestCluster() {}

  public static synchronized KubernetesClient client() {
    if (client == null) {
      try {
        auditLog = java.nio.file.Files.createTempFile("osdeploy-it-audit", ".log");
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      server = LocalApiServer.start(auditLog);
      client = server.client();
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    client.close();
                    server.close();
                  }));
    }
    return client;
  }

  /** A client of its own, for a user that closes it when done. */
  public static synchronized KubernetesClient newClient() {
    client();
    return server.client();
  }

  /** A client of its own whose requests the audit log attributes to {@code userAgent}. */
  public static synchronized KubernetesClient newClient(String userAgent) {
    client();
    return server.client(userAgent);
  }

  /** The API server's audit log: one JSON line per request. */
  public static synchronized java.nio.file.Path auditLog() {
    client();
    return auditLog;
  }

  public static synchronized String kubeConfigYaml() {
    client();
    return server.kubeConfigYaml();
  }

  /** Where the API server listens, as the kubeconfig says. */
  public static InetSocketAddress apiServerAddress() throws IOException {
    URI server =
        URI.create(kubeConfig().get("clusters").get(0).get("cluster").get("server").asText());
    return new InetSocketAddress(server.getHost(), server.getPort());
  }

  /**
   * The kubeconfig pointing at {@code hostPort} (a relay on a test network); the API server's
   * certificate does not name that address, so it is not verified: for test networks only.
   */
  public static String kubeConfigThrough(String hostPort) throws IOException {
    ObjectNode config = kubeConfig();
    ObjectNode cluster = (ObjectNode) config.get("clusters").get(0).get("cluster");
    cluster.put("server", "https://" + hostPort);
    cluster.remove("certificate-authority-data");
    cluster.remove("certificate-authority");
    cluster.put("insecure-skip-tls-verify", true);
    return YAML.writeValueAsString(config);
  }

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static ObjectNode kubeConfig() throws IOException {
    return (ObjectNode) YAML.readTree(kubeConfigYaml());
  }
}
