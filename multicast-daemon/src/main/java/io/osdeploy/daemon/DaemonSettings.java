package io.osdeploy.daemon;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How this daemon runs, from its command line and environment; the rest comes from the
 * configuration.
 *
 * @param node the Kubernetes node name, the key of the node's status entry
 * @param version the daemon's version, as reported
 * @param advertiseAddress the address machines reach this node at, for the endpoint URL
 * @param bindAddress the address the HTTP server listens on
 * @param httpPort a port overriding the configuration's, or null; 0 picks a free port
 * @param contentPath a content path overriding the configuration's, or null
 * @param progressInterval the least time between two writes of download progress
 * @param reportInterval the least time between two writes of agents' reports to a deployment
 */
public record DaemonSettings(
    String node,
    String version,
    String advertiseAddress,
    String bindAddress,
    Integer httpPort,
    Path contentPath,
    Duration progressInterval,
    Duration reportInterval) {}
