package io.osdeploy.api.v1alpha1;

/** Names shared by every osdeploy custom resource. */
public final class OsdeployApi {
  public static final String GROUP = "osdeploy.io";
  public static final String VERSION = "v1alpha1";
  public static final String API_VERSION = GROUP + "/" + VERSION;

  /** {@code kubectl get osdeploy} lists every kind in this category. */
  public static final String CATEGORY = "osdeploy";

  /** Printer column paths: the Ready condition's status and reason. */
  public static final String READY_STATUS_PATH = ".status.conditions[?(@.type==\"Ready\")].status";

  public static final String READY_REASON_PATH = ".status.conditions[?(@.type==\"Ready\")].reason";

  /**
   * On a TaskSequenceDeployment: an RFC 3339 time; machines that succeeded the deployment before
   * then are offered it again when they boot from media or PXE. Without it, a machine that
   * succeeded a required deployment boots its own disk.
   */
  public static final String REIMAGE_AFTER_ANNOTATION = GROUP + "/reimage-after";

  private OsdeployApi() {}
}
