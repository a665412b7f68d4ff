package io.osdeploy.operator;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election of the operator's replicas in a pod, through the Lease {@value #NAME} in the
 * operator's namespace.
 *
 * <p>A replica that loses the lead while it runs exits, so that two never reconcile at once (its
 * Deployment restarts it as a standby). A replica that is stopped (SIGTERM) says so first with
 * {@link #stopping()}: it then finishes its reconciles and gives the Lease up with {@link
 * #release}, so that a standby or the next pod leads at once instead of waiting for the Lease to
 * expire. JOSDK neither releases the Lease on stop nor tells a stop from a lost lead: its own "exit
 * when the lead is lost" calls {@code System.exit} from inside the stop, which, during the JVM's
 * shutdown, blocks the shutdown hook for good.
 */
public final class LeaderLease {
  public static final String NAME = "osdeploy-operator";

  private static final Logger log = LoggerFactory.getLogger(LeaderLease.class);

  private final String namespace;
  private final String identity;
  private final AtomicBoolean stopping = new AtomicBoolean();

  public LeaderLease(String namespace, String identity) {
    this.namespace = namespace;
    this.identity = identity;
  }

  public String namespace() {
    return namespace;
  }

  public String identity() {
    return identity;
  }

  /** JOSDK's configuration: the default timings, and this class deciding what a lost lead means. */
  public LeaderElectionConfiguration configuration() {
    return new LeaderElectionConfiguration(
        NAME,
        namespace,
        LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
        LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
        LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE,
        identity,
        new LeaderCallbacks(
            () -> log.info("leading: Lease {}/{} held by {}", namespace, NAME, identity),
            this::stoppedLeading,
            leader -> {}),
        false);
  }

  /** From here on the lead ends because the process stops, not because it was lost. */
  public void stopping() {
    stopping.set(true);
  }

  private void stoppedLeading() {
    if (stopping.get()) {
      return;
    }
    log.error(
        "lost the lead (Lease {}/{}): exiting so that only the new leader reconciles",
        namespace,
        NAME);
    // Not from this thread: exit runs the shutdown hook, which waits for the operator's threads.
    Thread exit = new Thread(() -> System.exit(1), "lost-lead-exit");
    exit.start();
  }

  /**
   * Gives the Lease up if this replica holds it, as client-go's {@code ReleaseOnCancel} does: no
   * holder and a one-second duration, so the next candidate takes it at its next try. Call it after
   * the operator has stopped, so that the next leader never overlaps a reconcile of this one.
   * Returns whether it released the Lease.
   */
  public boolean release(KubernetesClient client) {
    try {
      Lease lease = client.leases().inNamespace(namespace).withName(NAME).get();
      if (lease == null
          || lease.getSpec() == null
          || !identity.equals(lease.getSpec().getHolderIdentity())) {
        return false;
      }
      ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
      lease.getSpec().setHolderIdentity(null);
      lease.getSpec().setLeaseDurationSeconds((int) Duration.ofSeconds(1).toSeconds());
      lease.getSpec().setAcquireTime(now);
      lease.getSpec().setRenewTime(now);
      // An update, not a patch: it fails if someone else wrote the Lease since it was read.
      client.resource(lease).update();
      log.info("released the Lease {}/{}", namespace, NAME);
      return true;
    } catch (KubernetesClientException e) {
      log.warn(
          "could not release the Lease {}/{}; the next leader waits for it to expire",
          namespace,
          NAME,
          e);
      return false;
    }
  }
}
