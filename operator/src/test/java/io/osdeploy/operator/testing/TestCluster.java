package io.osdeploy.operator.testing;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.osdeploy.operator.local.LocalApiServer;

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
      } catch (java.io.IOException e) {
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
}
