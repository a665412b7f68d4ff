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
              + " (default 300)",
          "  --zstd SHA256:BYTES     the image is Zstandard-compressed (OSImage compression Zstd):",
          "                          write it expanded, checking it expands to BYTES bytes with",
          "                          this SHA-256 (its uncompressed.sha256 and sizeBytes)",
          "  --compressed-bytes N    with --zstd, the compressed image's size: it is then staged at",
          "                          the end of --out (a file, or a device with room for both)",
          "                          and may come by multicast; without it, it streams by unicast");

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
          "--retry-for",
          "--zstd",
          "--compressed-bytes");

  private ReceiveCommand() {}

  public static int run(List<String> args) throws Exception {
    if (args.contains("--help") || args.contains("-h")) {
      System.out.println(USAGE);
      return 0;
    }
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
    ImageDownload.Expansion expansion;
    try {
      expansion = expansion(o);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage() + "\n\n" + USAGE);
      return 2;
    }
    String bearer = token;
    ImageDownload download = new ImageDownload(null, () -> bearer);
    ImageDownload.Request request =
        new ImageDownload.Request(
                server,
                image,
                o.get("--client", null),
                o.path("--out"),
                iface,
                o.has("--multicast-only"),
                Duration.ofSeconds(multicastTimeout))
            .withOtherServers(alsoFrom, Duration.ofSeconds(retryFor));
    if (expansion != null) {
      ImageDownload.Expanded e = download.fetchCompressed(request, expansion);
      ImageDownload.Outcome t = e.transfer();
      System.out.printf(
          "%s: %s compressed sha256=%s multicastBlocks=%d unicastBytes=%d %s; expanded %d bytes"
              + " sha256=%s%n",
          image,
          e.verified() ? "verified" : "NOT verified",
          t.sha256(),
          t.multicastBlocks(),
          t.unicastBytes(),
          e.staged() ? "staged" : "streamed",
          e.bytes(),
          e.sha256());
      return e.verified() ? 0 : 1;
    }
    ImageDownload.Outcome outcome = download.fetch(request);
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

  /** What {@code --zstd} and {@code --compressed-bytes} say, or null without {@code --zstd}. */
  private static ImageDownload.Expansion expansion(Flags o) {
    if (!o.has("--zstd")) {
      if (o.has("--compressed-bytes")) {
        throw new IllegalArgumentException("--compressed-bytes goes with --zstd");
      }
      return null;
    }
    String[] parts = o.get("--zstd").split(":");
    long bytes;
    try {
      bytes = parts.length == 2 ? Long.parseLong(parts[1]) : -1;
    } catch (NumberFormatException e) {
      bytes = -1;
    }
    if (bytes < 1 || !parts[0].matches("^[0-9a-fA-F]{64}$")) {
      throw new IllegalArgumentException(
          "--zstd: SHA256:BYTES of the expanded image, e.g. " + "0".repeat(64) + ":2147483648");
    }
    long compressed = -1;
    if (o.has("--compressed-bytes")) {
      try {
        compressed = Long.parseLong(o.get("--compressed-bytes"));
      } catch (NumberFormatException e) {
        compressed = -1;
      }
      if (compressed < 1) {
        throw new IllegalArgumentException("--compressed-bytes: a positive number of bytes");
      }
    }
    long device = deviceBytes(o.path("--out"));
    // Without the compressed size there is nothing to stage by: no room, so it streams.
    long room = compressed < 0 ? 0 : device > 0 ? device : -1;
    return new ImageDownload.Expansion(parts[0], bytes, Math.max(compressed, 1), room);
  }

  /** A block device's size from the kernel ({@code /sys/class/block}); 0 for anything else. */
  static long deviceBytes(java.nio.file.Path target) {
    java.nio.file.Path absolute = target.toAbsolutePath().normalize();
    if (!absolute.startsWith("/dev/") || absolute.getFileName() == null) {
      return 0;
    }
    java.nio.file.Path sectors =
        java.nio.file.Path.of("/sys/class/block", absolute.getFileName().toString(), "size");
    try {
      return Long.parseLong(java.nio.file.Files.readString(sectors).strip()) * 512;
    } catch (java.io.IOException | NumberFormatException e) {
      return 0;
    }
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
