package io.osdeploy.daemon.pxe;

/** Counters of the proxyDHCP service since it started, as one consistent-enough snapshot. */
public record ProxyDhcpMetrics(
    long offers,
    long acks,
    long refusedUnknownMachine,
    long refusedArchitecture,
    long ignored,
    long malformed,
    long sendFailures) {}
