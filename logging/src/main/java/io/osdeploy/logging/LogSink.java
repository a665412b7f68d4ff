package io.osdeploy.logging;

import java.io.FileNotFoundException;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.text.SimpleDateFormat;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import org.slf4j.event.Level;
import org.slf4j.spi.MDCAdapter;

/**
 * Writes log lines, one call at a time: as text (time, level, logger, message, as SLF4J's simple
 * logger writes them) or as one JSON object per line, with the MDC's resource fields (the operator
 * framework sets them while it reconciles a resource) as {@code namespace}, {@code name} and {@code
 * kind}.
 */
final class LogSink {
  private static final Map<String, String> MDC_FIELDS =
      Map.of(
          "resource.namespace", "namespace",
          "resource.name", "name",
          "resource.kind", "kind");

  private final LogSettings settings;
  private final MDCAdapter mdc;
  private final PrintStream out;
  private final SimpleDateFormat dateFormat;
  private final boolean showDateTime;
  private final boolean showThreadName;
  private final boolean showShortLogName;

  LogSink(LogSettings settings, MDCAdapter mdc) {
    this(settings, mdc, stream(settings.property("logFile", "System.err")));
  }

  /**
   * @param out where lines go; null for standard error as it is at each line (a caller that swaps
   *     {@code System.err}, as tests do, sees the lines that follow)
   */
  LogSink(LogSettings settings, MDCAdapter mdc, PrintStream out) {
    this.settings = settings;
    this.mdc = mdc;
    this.out = out;
    this.showDateTime = settings.flag("showDateTime", false);
    this.showThreadName = settings.flag("showThreadName", true);
    this.showShortLogName = settings.flag("showShortLogName", false);
    String pattern = settings.property("dateTimeFormat", null);
    this.dateFormat = pattern == null ? null : new SimpleDateFormat(pattern);
  }

  private static PrintStream stream(String target) {
    if (target.equals("System.out")) {
      return System.out;
    }
    if (target.equals("System.err")) {
      return null;
    }
    try {
      return new PrintStream(new FileOutputStream(target, true), true, StandardCharsets.UTF_8);
    } catch (FileNotFoundException e) {
      System.err.println(
          "logFile: cannot write "
              + target
              + " ("
              + e.getMessage()
              + "); logging to standard error");
      return System.err;
    }
  }

  void write(Level level, String logger, String message, Throwable error) {
    String line =
        settings.format == LogSettings.Format.JSON
            ? json(level, logger, message, error)
            : text(level, logger, message, error);
    PrintStream to = out != null ? out : System.err;
    synchronized (this) {
      to.println(line);
      to.flush();
    }
  }

  private String text(Level level, String logger, String message, Throwable error) {
    StringBuilder b = new StringBuilder();
    if (showDateTime) {
      if (dateFormat != null) {
        synchronized (dateFormat) {
          b.append(dateFormat.format(new Date())).append(' ');
        }
      } else {
        b.append(Instant.now()).append(' ');
      }
    }
    if (showThreadName) {
      b.append('[').append(Thread.currentThread().getName()).append("] ");
    }
    b.append(level.name()).append(' ');
    b.append(showShortLogName ? logger.substring(logger.lastIndexOf('.') + 1) : logger);
    b.append(" - ").append(message);
    if (error != null) {
      b.append(System.lineSeparator()).append(stackTrace(error).stripTrailing());
    }
    return b.toString();
  }

  private String json(Level level, String logger, String message, Throwable error) {
    StringBuilder b = new StringBuilder(128 + message.length());
    b.append("{\"time\":");
    quote(b, Instant.now().toString());
    b.append(",\"level\":");
    quote(b, level.name());
    b.append(",\"logger\":");
    quote(b, logger);
    b.append(",\"thread\":");
    quote(b, Thread.currentThread().getName());
    Map<String, String> context = mdc.getCopyOfContextMap();
    if (context != null) {
      for (Map.Entry<String, String> field : MDC_FIELDS.entrySet()) {
        String value = context.get(field.getKey());
        if (value != null) {
          b.append(",\"").append(field.getValue()).append("\":");
          quote(b, value);
        }
      }
    }
    b.append(",\"message\":");
    quote(b, message);
    if (error != null) {
      b.append(",\"error\":");
      quote(b, stackTrace(error).stripTrailing());
    }
    return b.append('}').toString();
  }

  private static String stackTrace(Throwable error) {
    StringWriter w = new StringWriter();
    error.printStackTrace(new PrintWriter(w));
    return w.toString();
  }

  /** {@code value} as a JSON string. */
  static void quote(StringBuilder b, String value) {
    b.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }
}
