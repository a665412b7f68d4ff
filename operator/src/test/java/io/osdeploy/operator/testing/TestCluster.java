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

  private TestCluster() {}

  public static synchronized KubernetesClient client() {
    if (client == null) {
      server = LocalApiServer.start();
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

  public static synchronized String kubeConfigYaml() {
    client();
    return server.kubeConfigYaml();
  }
}
