package io.osdeploy.daemon.progress;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.osdeploy.api.v1alpha1.MachineProgress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reports a daemon has accepted, on disk, one JSON line each, written and forced to the device
 * before the agent hears "accepted": a daemon that restarts replays it and loses no report. The
 * journal is rewritten as one line per machine when it grows, and at start.
 */
public final class ProgressJournal implements AutoCloseable {
  /** One accepted report: the deployment (by name and uid) and the machine's progress. */
  public record Entry(String deployment, String uid, MachineProgress progress) {}

  private static final Logger log = LoggerFactory.getLogger(ProgressJournal.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final Path file;
  private FileChannel channel;
  private long appended;

  public ProgressJournal(Path file) {
    this.file = file;
  }

  public Path file() {
    return file;
  }

  /**
   * The entries on disk, oldest first. A last line cut short by a crash is skipped (its agent never
   * heard "accepted" and sends it again); any other unreadable line is skipped and logged.
   */
  public synchronized List<Entry> replay() throws IOException {
    List<Entry> entries = new ArrayList<>();
    if (!Files.exists(file)) {
      return entries;
    }
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      try {
        Entry e = JSON.readValue(line, Entry.class);
        if (e.deployment() != null && e.progress() != null && e.progress().machine() != null) {
          entries.add(e);
        }
      } catch (JsonProcessingException e) {
        log.warn("{}:{}: skipping an unreadable progress line ({})", file, i + 1, e.getMessage());
      }
    }
    return entries;
  }

  /** Appends one entry and forces it to the device. */
  public synchronized void append(Entry entry) throws IOException {
    if (channel == null) {
      Files.createDirectories(file.getParent());
      channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }
    byte[] line = (JSON.writeValueAsString(entry) + "\n").getBytes(StandardCharsets.UTF_8);
    ByteBuffer buffer = ByteBuffer.wrap(line);
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
    channel.force(false);
    appended++;
  }

  /** Entries appended since the last rewrite. */
  public synchronized long appendedSinceRewrite() {
    return appended;
  }

  /** Replaces the journal with {@code entries}, atomically: a crash leaves the old or the new. */
  public synchronized void rewrite(Collection<Entry> entries) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel out =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      for (Entry e : entries) {
        ByteBuffer buffer =
            ByteBuffer.wrap((JSON.writeValueAsString(e) + "\n").getBytes(StandardCharsets.UTF_8));
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
      }
      out.force(true);
    }
    closeChannel();
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    appended = 0;
  }

  private void closeChannel() throws IOException {
    if (channel != null) {
      channel.close();
      channel = null;
    }
  }

  @Override
  public synchronized void close() throws IOException {
    closeChannel();
  }
}
