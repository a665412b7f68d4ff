package io.osdeploy.operator.dependent;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.osdeploy.api.v1alpha1.DistributionPoint;
import java.util.Map;

/** Names and labels of the objects the operator makes for a distribution point's daemon. */
public final class DaemonResources {
  /** Selects every object this operator makes; dependents' informers watch only these. */
  public static final String MANAGED_SELECTOR = "app.kubernetes.io/managed-by=osdeploy-operator";

  public static final String CONFIG_HASH_ANNOTATION = "osdeploy.io/config-hash";
  public static final String HTTP_PORT_NAME = "http";
  public static final String HTTPS_PORT_NAME = "https";

  private DaemonResources() {}

  public static String name(DistributionPoint dp) {
    return dp.getMetadata().getName() + "-daemon";
  }

  /** The labels that pick the daemon's pods: stable for the life of the distribution point. */
  public static Map<String, String> selectorLabels(DistributionPoint dp) {
    return Map.of(
        "app.kubernetes.io/name",
        "osdeploy-daemon",
        "app.kubernetes.io/instance",
        dp.getMetadata().getName());
  }

  /** The label naming a daemon pod's distribution point. */
  public static final String INSTANCE_LABEL = "app.kubernetes.io/instance";

  /** Selects the daemon pods of every distribution point. */
  public static final String POD_SELECTOR =
      "app.kubernetes.io/name=osdeploy-daemon,app.kubernetes.io/managed-by=osdeploy-operator";

  public static Map<String, String> labels(DistributionPoint dp) {
    return Map.of(
        "app.kubernetes.io/name", "osdeploy-daemon",
        "app.kubernetes.io/instance", dp.getMetadata().getName(),
        "app.kubernetes.io/component", "distribution-point",
        "app.kubernetes.io/part-of", "osdeploy",
        "app.kubernetes.io/managed-by", "osdeploy-operator");
  }

  public static ObjectMeta metadata(DistributionPoint dp) {
    return new ObjectMetaBuilder()
        .withName(name(dp))
        .withNamespace(dp.getMetadata().getNamespace())
        .withLabels(labels(dp))
        .build();
  }
}
