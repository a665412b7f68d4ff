package io.osdeploy.daemon.multicast;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Hands out group:port pairs from a DP's ranges, never the same pair to two live sessions. It
 * prefers a group and a port that no live session uses at all: a receiver bound to a port hears
 * every group joined on that port on its host, and a group shared across ports still costs every
 * member NIC the other session's packets. Not thread-safe; {@link MulticastSessions} holds its
 * lock.
 */
final class GroupPool {
  /** A group (unsigned 32-bit IPv4) and a UDP port. */
  record Pair(long group, int port) {
    String groupDotted() {
      return MulticastSettings.dotted(group);
    }
  }

  private final MulticastSettings settings;
  private final Set<Pair> used = new HashSet<>();
  private final Map<Long, Integer> groupsInUse = new HashMap<>();
  private final Map<Integer, Integer> portsInUse = new HashMap<>();

  GroupPool(MulticastSettings settings) {
    this.settings = settings;
  }

  Optional<Pair> allocate() {
    // Each loop below runs at most (pairs in use + 1) times before it finds what it looks for.
    long group = firstFreeGroup();
    int port = firstFreePort();
    if (group >= 0 && port >= 0) {
      return Optional.of(take(new Pair(group, port)));
    }
    for (long g = settings.firstGroup(); g <= settings.lastGroup(); g++) {
      for (int p = settings.firstPort(); p <= settings.lastPort(); p++) {
        Pair pair = new Pair(g, p);
        if (!used.contains(pair)) {
          return Optional.of(take(pair));
        }
      }
      if (g - settings.firstGroup() > used.size()) {
        break;
      }
    }
    return Optional.empty();
  }

  void release(Pair pair) {
    if (used.remove(pair)) {
      groupsInUse.computeIfPresent(pair.group(), (k, n) -> n == 1 ? null : n - 1);
      portsInUse.computeIfPresent(pair.port(), (k, n) -> n == 1 ? null : n - 1);
    }
  }

  int inUse() {
    return used.size();
  }

  private Pair take(Pair pair) {
    used.add(pair);
    groupsInUse.merge(pair.group(), 1, Integer::sum);
    portsInUse.merge(pair.port(), 1, Integer::sum);
    return pair;
  }

  private long firstFreeGroup() {
    for (long g = settings.firstGroup(); g <= settings.lastGroup(); g++) {
      if (!groupsInUse.containsKey(g)) {
        return g;
      }
    }
    return -1;
  }

  private int firstFreePort() {
    for (int p = settings.firstPort(); p <= settings.lastPort(); p++) {
      if (!portsInUse.containsKey(p)) {
        return p;
      }
    }
    return -1;
  }
}
