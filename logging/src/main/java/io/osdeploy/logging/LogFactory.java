package io.osdeploy.logging;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;

/** One logger per name, each at the level the settings give its name. */
final class LogFactory implements ILoggerFactory {
  private final LogSettings settings;
  private final LogSink sink;
  private final ConcurrentMap<String, Logger> loggers = new ConcurrentHashMap<>();

  LogFactory(LogSettings settings, LogSink sink) {
    this.settings = settings;
    this.sink = sink;
  }

  @Override
  public Logger getLogger(String name) {
    return loggers.computeIfAbsent(name, n -> new LogLogger(n, settings.levelOf(n), sink));
  }
}
