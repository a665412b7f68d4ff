package io.osdeploy.daemon.http;

import io.osdeploy.api.v1alpha1.NodeStatus;
import io.osdeploy.daemon.content.VerifiedContent;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What the HTTP server answers from: whether the daemon is ready, the node's status, and the
 * verified content it serves.
 */
public record HttpEndpoints(
    BooleanSupplier ready, Supplier<NodeStatus> status, VerifiedContent content) {}
