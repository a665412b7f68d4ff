package io.osdeploy.transfer.net;

import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.unix.UnixChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The kernel's count of datagrams one UDP socket dropped because its receive buffer was full, and
 * the bytes queued in that buffer: the {@code drops} and {@code rx_queue} columns of {@code
 * /proc/self/net/udp} (the reading process's network namespace), found by the socket's inode. They
 * tell loss a receiver caused itself, by not reading fast enough (short of CPU), from loss on the
 * way (a link the sender outruns). Known only for the epoll transport on Linux; elsewhere {@link
 * #read()} answers null.
 */
public final class SocketDrops {
  private static final Path UDP = Path.of("/proc/self/net/udp");
  // Columns of /proc/net/udp: sl, local, remote, st, tx:rx queue, tr:when, retrnsmt, uid, timeout,
  // inode, ref, pointer, drops.
  private static final int QUEUES_COLUMN = 4;
  private static final int INODE_COLUMN = 9;
  private static final int DROPS_COLUMN = 12;

  /** Counters that cannot be known: {@link #read()} answers null. */
  public static final SocketDrops UNKNOWN = new SocketDrops(null);

  private final String inode;

  private SocketDrops(String inode) {
    this.inode = inode;
  }

  /** The counters of {@code channel}'s socket, or {@link #UNKNOWN}. */
  public static SocketDrops of(DatagramChannel channel) {
    if (!(channel instanceof UnixChannel unix) || !Files.isReadable(UDP)) {
      return UNKNOWN;
    }
    try {
      String link =
          Files.readSymbolicLink(Path.of("/proc/self/fd/" + unix.fd().intValue())).toString();
      if (link.startsWith("socket:[") && link.endsWith("]")) {
        return new SocketDrops(link.substring("socket:[".length(), link.length() - 1));
      }
    } catch (IOException | UnsupportedOperationException e) {
      // not Linux's procfs: unknown
    }
    return UNKNOWN;
  }

  /** Datagrams dropped so far because the buffer was full, and bytes queued in it now. */
  public record Reading(long drops, long queuedBytes) {}

  /** The socket's counters now, or null if they cannot be known. */
  public Reading read() {
    if (inode == null) {
      return null;
    }
    try {
      List<String> lines = Files.readAllLines(UDP);
      for (int i = 1; i < lines.size(); i++) {
        String[] columns = lines.get(i).trim().split("\\s+");
        if (columns.length > DROPS_COLUMN && inode.equals(columns[INODE_COLUMN])) {
          String queues = columns[QUEUES_COLUMN];
          return new Reading(
              Long.parseLong(columns[DROPS_COLUMN]),
              Long.parseLong(queues.substring(queues.indexOf(':') + 1), 16));
        }
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
    return null;
  }
}
