package io.osdeploy.daemon.http;

import io.osdeploy.daemon.http.RangeRequest.Part;
import io.osdeploy.daemon.http.RangeRequest.Unsatisfiable;
import io.osdeploy.daemon.http.RangeRequest.Whole;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the {@code Range} header of a request for a file of a known size. */
final class RangeHeader {
  private RangeHeader() {}

  private static final Pattern SPEC = Pattern.compile("^(\\d*)-(\\d*)$");

  /**
   * Reads a {@code Range} header. Other units are ignored and several ranges get the whole file
   * (the RFC allows both: clients here fetch one range to resume a download). A bytes range that is
   * malformed, or starts past the end, is rejected.
   */
  static RangeRequest parse(String header, long size) {
    if (header == null || header.isBlank()) {
      return new Whole();
    }
    String value = header.trim();
    int equals = value.indexOf('=');
    if (equals < 0 || !value.substring(0, equals).trim().toLowerCase(Locale.ROOT).equals("bytes")) {
      return new Whole();
    }
    String spec = value.substring(equals + 1).trim();
    if (spec.contains(",")) {
      return new Whole();
    }
    Matcher m = SPEC.matcher(spec);
    if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
      return new Unsatisfiable();
    }
    if (m.group(1).isEmpty()) {
      long suffix = parseOrMax(m.group(2));
      if (suffix == 0 || size == 0) {
        return new Unsatisfiable();
      }
      return new Part(Math.max(0, size - suffix), size - 1);
    }
    long first = parseOrMax(m.group(1));
    long last = m.group(2).isEmpty() ? Long.MAX_VALUE : parseOrMax(m.group(2));
    if (last < first || first >= size) {
      return new Unsatisfiable();
    }
    return new Part(first, Math.min(last, size - 1));
  }

  /** Digits beyond a long mean "past any file": the largest long says the same. */
  private static long parseOrMax(String digits) {
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }
}
