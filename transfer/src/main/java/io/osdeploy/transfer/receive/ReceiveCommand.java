package io.osdeploy.transfer.receive;

import io.osdeploy.cli.CommandLines;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code osdeploy-daemon receive}: fetches one image from a distribution point, by multicast with
 * unicast to finish, and writes it to a file or block device. Exit status 0 only when the written
 * bytes have the image's SHA-256.
 */
@Command(
    name = "receive",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpWidth = 100,
    description = {
      "Fetch an image from a distribution point, by multicast with unicast to finish, and write"
          + " it to a file or block device."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:the written bytes have the image's SHA-256",
      "1:they do not, or the transfer failed",
      "2:bad usage"
    })
public final class ReceiveCommand implements Callable<Integer> {
  @Spec private CommandSpec spec;

  @Option(
      names = "--server",
      required = true,
      paramLabel = "URL",
      description = "the distribution point, e.g. http://10.0.0.5:9080")
  private URI server;

  @Option(
      names = "--image",
      required = true,
      paramLabel = "NAME",
      description = "the OSImage to fetch")
  private String image;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "PATH",
      description = "file or block device to write")
  private Path out;

  @Option(
      names = "--client",
      paramLabel = "ID",
      description = "the machine the token names, by MAC or UUID (default: the token's)")
  private String client;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description =
          "the machine's token (from its boot script's osdeploy.token, or POST /v1/token), sent"
              + " with every request")
  private Path tokenFile;

  @Option(
      names = "--interface",
      paramLabel = "NAME",
      description =
          "interface facing the distribution point (default: the one routing to the server)")
  private String iface;

  @Option(names = "--multicast-only", description = "never fall back to unicast")
  private boolean multicastOnly;

  @Option(
      names = "--multicast-timeout",
      paramLabel = "S",
      description = "give multicast this long before finishing by unicast (default 3600)")
  private long multicastTimeout = 3600;

  @Option(
      names = "--also-from",
      paramLabel = "URL,...",
      description =
          "other nodes serving the image, asked by unicast in this order when the server cannot"
              + " be reached or answers with an error")
  private String alsoFrom;

  @Option(
      names = "--retry-for",
      paramLabel = "S",
      description = "keep trying unicast while every server fails this long (default 300)")
  private long retryFor = 300;

  @Option(
      names = "--zstd",
      paramLabel = "SHA256:BYTES",
      description =
          "the image is Zstandard-compressed (OSImage compression Zstd): write it expanded,"
              + " checking it expands to BYTES bytes with this SHA-256 (its uncompressed.sha256"
              + " and sizeBytes)")
  private String zstd;

  @Option(
      names = "--compressed-bytes",
      paramLabel = "N",
      description =
          "with --zstd, the compressed image's size: it is then staged at the end of --out (a"
              + " file, or a device with room for both) and may come by multicast; without it, it"
              + " streams by unicast")
  private Long compressedBytes;

  /**
   * The command on its own, as {@code osdeploy-daemon receive ARGS} runs it.
   *
   * @return the exit status
   */
  public static int run(List<String> args) {
    return commandLine(CommandLines.version("osdeploy-daemon", ReceiveCommand.class, "dev"))
        .execute(args.toArray(String[]::new));
  }

  /**
   * The command line, to run alone or to add to the daemon's. A flag given again overrides the
   * value before, so that a caller can append to a command line it was given.
   *
   * @param version what {@code --version} prints, e.g. {@code osdeploy-daemon 0.1.0}
   */
  public static CommandLine commandLine(String version) {
    CommandLine line = CommandLines.create(new ReceiveCommand(), version);
    line.setOverwrittenOptionsAllowed(true);
    return line;
  }

  @Override
  public Integer call() throws Exception {
    seconds("--multicast-timeout", multicastTimeout);
    seconds("--retry-for", retryFor);
    NetworkInterface nic = iface != null ? NetworkInterface.getByName(iface) : facing(server);
    if (nic == null) {
      throw usage("--interface: no such interface: " + iface);
    }
    List<URI> others =
        alsoFrom != null
            ? Arrays.stream(alsoFrom.split(","))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .map(URI::create)
                .toList()
            : List.of();
    String token = null;
    if (tokenFile != null) {
      try {
        token = java.nio.file.Files.readString(tokenFile).strip();
      } catch (java.io.IOException e) {
        throw usage("--token-file: cannot read " + tokenFile + ": " + e);
      }
    }
    ImageDownload.Expansion expansion;
    try {
      expansion = expansion();
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
    String bearer = token;
    ImageDownload download = new ImageDownload(null, () -> bearer);
    ImageDownload.Request request =
        new ImageDownload.Request(
                server,
                image,
                client,
                out,
                nic,
                multicastOnly,
                Duration.ofSeconds(multicastTimeout))
            .withOtherServers(others, Duration.ofSeconds(retryFor));
    java.io.PrintWriter stdout = spec.commandLine().getOut();
    if (expansion != null) {
      ImageDownload.Expanded e = download.fetchCompressed(request, expansion);
      ImageDownload.Outcome t = e.transfer();
      stdout.printf(
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
      stdout.flush();
      return e.verified() ? CommandLines.OK : CommandLines.FAILED;
    }
    ImageDownload.Outcome outcome = download.fetch(request);
    stdout.printf(
        "%s: %s sha256=%s multicastBlocks=%d unicastBytes=%d unicastFrom=%s%n",
        image,
        outcome.verified() ? "verified" : "NOT verified",
        outcome.sha256(),
        outcome.multicastBlocks(),
        outcome.unicastBytes(),
        outcome.unicastFrom());
    stdout.flush();
    return outcome.verified() ? CommandLines.OK : CommandLines.FAILED;
  }

  private void seconds(String flag, long value) {
    if (value < 0) {
      throw usage(flag + ": a number of seconds (got " + value + ")");
    }
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  /** What {@code --zstd} and {@code --compressed-bytes} say, or null without {@code --zstd}. */
  private ImageDownload.Expansion expansion() {
    if (zstd == null) {
      if (compressedBytes != null) {
        throw new IllegalArgumentException("--compressed-bytes goes with --zstd");
      }
      return null;
    }
    String[] parts = zstd.split(":");
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
    if (compressedBytes != null) {
      compressed = compressedBytes;
      if (compressed < 1) {
        throw new IllegalArgumentException("--compressed-bytes: a positive number of bytes");
      }
    }
    long device = deviceBytes(out);
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
