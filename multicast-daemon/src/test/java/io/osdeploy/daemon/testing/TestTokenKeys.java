package io.osdeploy.daemon.testing;

import io.osdeploy.auth.MachineToken;
import io.osdeploy.auth.MachineTokenKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A distribution point's machine-token keys in a directory, as its Secret is mounted into every
 * daemon pod, and tokens signed with them: what several daemons of one distribution point share.
 */
public final class TestTokenKeys {
  private final Path dir;
  private final MachineTokenKeys keys;

  private TestTokenKeys(Path dir, MachineTokenKeys keys) {
    this.dir = dir;
    this.keys = keys;
  }

  /** A first key, written to {@code dir}. */
  public static TestTokenKeys create(Path dir) throws IOException {
    Files.createDirectories(dir);
    Map<String, String> secret =
        MachineTokenKeys.rotate(Map.of(), Instant.now(), MachineTokenKeys.ROTATION);
    for (Map.Entry<String, String> key : secret.entrySet()) {
      Files.writeString(dir.resolve(key.getKey()), key.getValue());
    }
    return new TestTokenKeys(dir, MachineTokenKeys.fromDirectory(dir));
  }

  /**
   * For benchmarks that run a daemon as its own process: {@code TestTokenKeys DIR MAC IMAGE...}
   * writes a key to DIR (the daemon's {@code --token-keys}) and prints a token for MAC and the
   * images.
   */
  public static void main(String[] args) throws IOException {
    TestTokenKeys keys = create(Path.of(args[0]));
    System.out.println(keys.token(args[1], java.util.Arrays.copyOfRange(args, 2, args.length)));
  }

  public Path dir() {
    return dir;
  }

  /** A token for machine {@code mac} whose deployment applies {@code images}. */
  public String token(String mac, String... images) {
    Instant now = Instant.now();
    return keys.sign(
        new MachineToken(
            keys.signing(now).id(),
            mac,
            null,
            "pxe",
            List.of("test-deployment"),
            List.of(images),
            now.getEpochSecond(),
            now.plus(MachineTokenKeys.TOKEN_LIFETIME).getEpochSecond()));
  }
}
