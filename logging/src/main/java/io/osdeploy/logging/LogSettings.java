package io.osdeploy.logging;

import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.slf4j.event.Level;

/**
 * What to log and how: the levels and options of {@code simplelogger.properties} on the class path
 * (the keys SLF4J's simple logger reads), overridden by system properties of the same names, and by
 * the environment: {@code OSDEPLOY_LOG_LEVEL} (trace, debug, info, warn, error) for the default
 * level, {@code OSDEPLOY_LOG_FORMAT} ({@code text}, the default, or {@code json}).
 */
final class LogSettings {
  static final String PREFIX = "org.slf4j.simpleLogger.";

  /** The two formats. */
  enum Format {
    TEXT,
    JSON
  }

  private final Properties properties;
  private final Level defaultLevel;
  // The environment's level, or null.
  private final Level asked;
  final Format format;

  LogSettings(Properties properties, Map<String, String> env) {
    this.properties = properties;
    this.asked = parse(env.get("OSDEPLOY_LOG_LEVEL"), null);
    this.defaultLevel =
        asked != null
            ? asked
            : parse(properties.getProperty(PREFIX + "defaultLogLevel"), Level.INFO);
    String format = env.getOrDefault("OSDEPLOY_LOG_FORMAT", "text").trim().toLowerCase(Locale.ROOT);
    if (!format.equals("text") && !format.equals("json")) {
      System.err.println(
          "OSDEPLOY_LOG_FORMAT: " + format + " is neither text nor json; logging text");
    }
    this.format = format.equals("json") ? Format.JSON : Format.TEXT;
  }

  static LogSettings load() {
    Properties p = new Properties();
    try (InputStream in =
        LogSettings.class.getClassLoader().getResourceAsStream("simplelogger.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      System.err.println("simplelogger.properties: cannot read: " + e);
    }
    for (String key : System.getProperties().stringPropertyNames()) {
      if (key.startsWith(PREFIX)) {
        p.setProperty(key, System.getProperty(key));
      }
    }
    return new LogSettings(p, System.getenv());
  }

  /**
   * The level for logger {@code name}: the most specific {@code log.<prefix>} that covers it, else
   * the default. An {@code OSDEPLOY_LOG_LEVEL} of debug or trace also lowers those of our own code.
   */
  Level levelOf(String name) {
    String n = name;
    while (true) {
      String set = properties.getProperty(PREFIX + "log." + n);
      if (set != null) {
        Level level = parse(set, defaultLevel);
        return name.startsWith("io.osdeploy") && asked != null && asked.toInt() < level.toInt()
            ? asked
            : level;
      }
      int dot = n.lastIndexOf('.');
      if (dot < 0) {
        return defaultLevel;
      }
      n = n.substring(0, dot);
    }
  }

  String property(String key, String otherwise) {
    return properties.getProperty(PREFIX + key, otherwise);
  }

  boolean flag(String key, boolean otherwise) {
    String v = properties.getProperty(PREFIX + key);
    return v == null ? otherwise : Boolean.parseBoolean(v.trim());
  }

  private static Level parse(String value, Level otherwise) {
    if (value == null) {
      return otherwise;
    }
    try {
      return Level.valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return otherwise;
    }
  }
}
