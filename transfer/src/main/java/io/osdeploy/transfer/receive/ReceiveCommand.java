package io.osdeploy.transfer.receive;

import io.osdeploy.transfer.cli.Flags;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * {@code osdeploy-daemon receive}: fetches one image from a distribution point, by multicast with
 * unicast to finish, and writes it to a file or block device. Exit status 0 only when the written
 * bytes have the image's SHA-256.
 */
public final class ReceiveCommand {
  public static final String USAGE =
      String.join(
          "\n",
          "usage: osdeploy-daemon receive --server URL --image NAME --out PATH [options]",
          "",
          "  --server URL            the distribution point, e.g. http://10.0.0.5:9080",
          "  --image NAME            the OSImage to fetch",
          "  --out PATH              file or block device to write",
          "  --client ID             the machine the token names, by MAC or UUID (default: the"
              + " token's)",
          "  --token-file FILE       the machine's token (from its boot script's osdeploy.token,",
          "                          or POST /v1/token), sent with every request",
          "  --interface NAME        interface facing the distribution point (default: the one",
          "                          routing to the server)",
          "  --multicast-only        never fall back to unicast",
          "  --multicast-timeout S   give multicast this long before finishing by unicast"
              + " (default 3600)",
          "  --also-from URL,...     other nodes serving the image, asked by unicast in this order",
          "                          when the server cannot be reached or answers with an error",
          "  --retry-for S           keep trying unicast while every server fails this long"
              + " (default 300)");

  private static final List<String> FLAGS =
      List.of(
          "--server",
          "--image",
          "--out",
          "--client",
          "--token-file",
          "--interface",
          "--multicast-timeout",
          "--also-from",
          "--retry-for");

  private ReceiveCommand() {}

  public static int run(List<String> args) throws Exception {
    Flags o;
    long multicastTimeout;
    long retryFor;
    try {
      o = Flags.parse(args, FLAGS, Set.of("--multicast-only"));
      for (String required : List.of("--server", "--image", "--out")) {
        o.required(required);
      }
      multicastTimeout = o.seconds("--multicast-timeout", 3600);
      retryFor = o.seconds("--retry-for", 300);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage() + "\n\n" + USAGE);
      return 2;
    }
    URI server = URI.create(o.get("--server"));
    String image = o.get("--image");
    NetworkInterface iface =
        o.has("--interface") ? NetworkInterface.getByName(o.get("--interface")) : facing(server);
    if (iface == null) {
      System.err.println("--interface: no such interface: " + o.get("--interface"));
      return 2;
    }
    List<URI> alsoFrom =
        o.has("--also-from")
            ? Arrays.stream(o.get("--also-from").split(","))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .map(URI::create)
                .toList()
            : List.of();
    String token = null;
    if (o.has("--token-file")) {
      try {
        token = java.nio.file.Files.readString(o.path("--token-file")).strip();
      } catch (java.io.IOException e) {
        System.err.println("--token-file: cannot read " + o.get("--token-file") + ": " + e);
        return 2;
      }
    }
    String bearer = token;
    ImageDownload.Outcome outcome =
        new ImageDownload(null, () -> bearer)
            .fetch(
                new ImageDownload.Request(
                        server,
                        image,
                        o.get("--client", null),
                        o.path("--out"),
                        iface,
                        o.has("--multicast-only"),
                        Duration.ofSeconds(multicastTimeout))
                    .withOtherServers(alsoFrom, Duration.ofSeconds(retryFor)));
    System.out.printf(
        "%s: %s sha256=%s multicastBlocks=%d unicastBytes=%d unicastFrom=%s%n",
        image,
        outcome.verified() ? "verified" : "NOT verified",
        outcome.sha256(),
        outcome.multicastBlocks(),
        outcome.unicastBytes(),
        outcome.unicastFrom());
    return outcome.verified() ? 0 : 1;
  }

  /** The interface whose address routes to the server (by a connected UDP socket, no traffic). */
  public static NetworkInterface facing(URI server) throws Exception {
    try (java.net.DatagramSocket probe = new java.net.DatagramSocket()) {
      probe.connect(InetAddress.getByName(server.getHost()), 9);
      NetworkInterface iface = NetworkInterface.getByInetAddress(probe.getLocalAddress());
      return iface != null ? iface : NetworkInterface.getByName("lo");
    }
  }
}
