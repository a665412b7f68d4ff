package io.osdeploy.agent;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a task sequence stands on this machine, kept in {@code state.json} in the state directory
 * and replaced atomically (written, forced to disk, renamed) after every step: a restart, a crash
 * or a killed agent resumes at the first step not finished. A step that was running when the agent
 * stopped runs again from its start.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class AgentState {
  public enum Outcome {
    RUNNING,
    SUCCEEDED,
    FAILED
  }

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  static final String FILE = "state.json";

  public String deployment;
  public String namespace;
  public int nextStep;
  public Outcome outcome = Outcome.RUNNING;
  public Map<String, String> variables = new LinkedHashMap<>();

  /** Where partitionDisk put the partition an image goes to. */
  public String partitionDisk;

  public Long partitionOffset;
  public Long partitionLength;

  /** The Windows layout a partitionDisk step wrote (layout Windows), or null. */
  public DiskLabel.WindowsLayout windowsLayout;

  /** Whether a Windows image was applied to the Windows layout's partition. */
  public boolean windowsApplied;

  /** What Windows setup is told in the applied image's unattend.xml. */
  public Unattend unattend;

  /** Steps that failed but were allowed to (continueOnError), as "name: message". */
  public List<String> ignoredFailures = new ArrayList<>();

  /** The saved state, or null when this machine has none. */
  static AgentState load(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    if (!Files.exists(file)) {
      return null;
    }
    try {
      return JSON.readValue(file.toFile(), AgentState.class);
    } catch (IOException e) {
      throw new IOException(file + ": unreadable agent state (" + e.getMessage() + ")", e);
    }
  }

  void save(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path tmp = dir.resolve(FILE + ".tmp");
    try (FileChannel out =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      out.write(java.nio.ByteBuffer.wrap(JSON.writeValueAsBytes(this)));
      out.force(true);
    }
    try {
      Files.move(
          tmp,
          dir.resolve(FILE),
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
