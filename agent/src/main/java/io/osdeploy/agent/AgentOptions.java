package io.osdeploy.agent;

import io.osdeploy.transfer.cli.Flags;
import io.osdeploy.transfer.tls.PinnedCa;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;

/** {@code osdeploy-agent run} options, each checked with the flag named in its error. */
record AgentOptions(
    URI server,
    String mac,
    String uuid,
    String source,
    String deployment,
    String media,
    Path disk,
    Path stateDir,
    String iface,
    Path userStateDir,
    Duration multicastTimeout,
    Duration retryFor,
    String rebootCommand,
    boolean interactive,
    String caFingerprint,
    boolean bootEnvironment,
    Path tokenFile) {
  static final String USAGE =
      String.join(
          "\n",
          "usage: osdeploy-agent run --server URL [options]",
          "       osdeploy-agent --help | --version",
          "",
          "Fetches this machine's policy from a distribution point, runs the required deployment",
          "(or the one chosen), and reports every step. Exit status: 0 done, 1 failed,",
          "2 bad usage, 3 restart requested (run the agent again after the restart), 4 nothing",
          "to run.",
          "",
          "  --server URL            the distribution point, e.g. http://10.0.0.5:9080",
          "  --ca-fingerprint HEX    trust an https:// server only if its chain holds the CA"
              + " with this SHA-256",
          "  --mac MAC               this machine's MAC (default: the interface facing the server)",
          "  --uuid UUID             SMBIOS UUID (default: /sys/class/dmi/id/product_uuid)",
          "  --source S              media, pxe or client (default media)",
          "  --deployment NAME       run this deployment (default: the required one, or ask)",
          "  --media NAME            the boot media this machine started from",
          "  --token-file FILE       the machine's token from its boot script, kept renewed there",
          "                          (default: STATE-DIR/token; without one, the agent asks the",
          "                          distribution point for a token with its MAC and UUID)",
          "  --disk PATH             target disk (block device or file) for steps naming none",
          "  --state-dir DIR         where progress is kept across restarts"
              + " (default /var/lib/osdeploy)",
          "  --interface NAME        interface facing the distribution point",
          "  --user-state-dir DIR    directory captured and restored by the user-state steps",
          "  --multicast-timeout S   give multicast this long, then finish by unicast"
              + " (default 3600)",
          "  --retry-for S           keep trying an unreachable distribution point this long"
              + " (default 300)",
          "  --reboot-command CMD    run at a restart into the installed system"
              + " (default: exit with status 3)",
          "  --boot-environment      the agent runs in the boot environment (its /init says so):"
              + " a restart into the installed system is the last step, and a restart into the"
              + " boot environment runs the agent again",
          "  --non-interactive       never prompt; without a required deployment, exit 4",
          "",
          "Outside the boot environment, a restart into the boot environment downloads the",
          "distribution point's kernel and initramfs, verified, adds this machine's state to the",
          "initramfs, and starts it with kexec (kexec-tools); the sequence resumes there.");

  private static final Set<String> VALUED =
      Set.of(
          "--server",
          "--ca-fingerprint",
          "--mac",
          "--uuid",
          "--source",
          "--deployment",
          "--media",
          "--token-file",
          "--disk",
          "--state-dir",
          "--interface",
          "--user-state-dir",
          "--multicast-timeout",
          "--retry-for",
          "--reboot-command");

  static AgentOptions parse(List<String> args) {
    Flags o = Flags.parse(args, VALUED, Set.of("--non-interactive", "--boot-environment"));
    String server = o.required("--server");
    URI uri;
    try {
      uri = URI.create(server.replaceAll("/+$", ""));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--server: not a URL: " + server);
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
        || uri.getHost() == null) {
      throw new IllegalArgumentException(
          "--server: needs http://host:port or https://host:port (got " + server + ")");
    }
    String caFingerprint = o.get("--ca-fingerprint");
    if (caFingerprint != null) {
      try {
        PinnedCa.parse(caFingerprint);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--ca-fingerprint: " + e.getMessage());
      }
      if (!"https".equals(uri.getScheme())) {
        throw new IllegalArgumentException("--ca-fingerprint: needs an https:// --server");
      }
    }
    String source = o.get("--source", "media");
    if (!Set.of("media", "pxe", "client").contains(source)) {
      throw new IllegalArgumentException(
          "--source: must be media, pxe or client (got " + source + ")");
    }
    return new AgentOptions(
        uri,
        o.get("--mac"),
        o.get("--uuid"),
        source,
        o.get("--deployment"),
        o.get("--media"),
        o.path("--disk"),
        Path.of(o.get("--state-dir", "/var/lib/osdeploy")),
        o.get("--interface"),
        o.path("--user-state-dir"),
        Duration.ofSeconds(o.seconds("--multicast-timeout", 3600)),
        Duration.ofSeconds(o.seconds("--retry-for", 300)),
        o.get("--reboot-command"),
        !o.has("--non-interactive"),
        caFingerprint,
        o.has("--boot-environment"),
        o.path("--token-file"));
  }

  /** How an https:// server is trusted: the pinned CA, or else the JDK's trusted CAs (null). */
  SSLContext tls() {
    return caFingerprint == null ? null : PinnedCa.context(caFingerprint);
  }
}
