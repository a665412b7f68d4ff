package io.osdeploy.transfer.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A command line of flags: {@code --flag value} or {@code --flag=value} for a flag that takes a
 * value, {@code --flag} alone for a switch. A flag given again overrides the value before, so that
 * a caller can append to a command line it was given. Every error names the flag, and the caller
 * prints it above its usage.
 */
public final class Flags {
  private final Map<String, List<String>> values;
  private final Set<String> switches;

  private Flags(Map<String, List<String>> values, Set<String> switches) {
    this.values = values;
    this.switches = switches;
  }

  /** Reads {@code args}, in which {@code valued} flags take a value and {@code switches} none. */
  public static Flags parse(
      List<String> args, Collection<String> valued, Collection<String> switches) {
    Map<String, List<String>> values = new HashMap<>();
    Set<String> given = new HashSet<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (switches.contains(arg)) {
        given.add(arg);
        continue;
      }
      int equals = arg.indexOf('=');
      String flag = equals >= 0 ? arg.substring(0, equals) : arg;
      if (!valued.contains(flag)) {
        throw new IllegalArgumentException("unknown option: " + arg);
      }
      String value = equals >= 0 ? arg.substring(equals + 1) : null;
      if (value == null) {
        if (i + 1 >= args.size()) {
          throw new IllegalArgumentException(flag + ": needs a value");
        }
        value = args.get(++i);
      }
      values.computeIfAbsent(flag, f -> new ArrayList<>()).add(value);
    }
    return new Flags(values, given);
  }

  /**
   * Refuses a flag given twice or with an empty value: for a command line that a program writes
   * whole, where either is a mistake rather than an override.
   */
  public Flags strict() {
    values.forEach(
        (flag, given) -> {
          if (given.size() > 1) {
            throw new IllegalArgumentException(flag + ": given twice");
          }
          if (given.get(0).isEmpty()) {
            throw new IllegalArgumentException(flag + ": needs a value");
          }
        });
    return this;
  }

  /** Whether the flag or switch was given. */
  public boolean has(String flag) {
    return values.containsKey(flag) || switches.contains(flag);
  }

  /** The flag's value (the last one given), or null. */
  public String get(String flag) {
    List<String> given = values.get(flag);
    return given == null ? null : given.get(given.size() - 1);
  }

  public String get(String flag, String otherwise) {
    String value = get(flag);
    return value != null ? value : otherwise;
  }

  public String required(String flag) {
    String value = get(flag);
    if (value == null) {
      throw new IllegalArgumentException(flag + ": required");
    }
    return value;
  }

  /** The flag's value as a path, or null. */
  public Path path(String flag) {
    String value = get(flag);
    return value == null ? null : Path.of(value);
  }

  /** The flag's value as a number of seconds, not negative. */
  public long seconds(String flag, long otherwise) {
    String value = get(flag);
    if (value == null) {
      return otherwise;
    }
    try {
      long s = Long.parseLong(value);
      if (s < 0) {
        throw new NumberFormatException();
      }
      return s;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + ": a number of seconds (got " + value + ")");
    }
  }
}
