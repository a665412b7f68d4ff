package io.osdeploy.daemon.multicast;

import java.nio.file.Path;

/**
 * An image a DP can send: a verified file of the content library and the image's multicast
 * settings.
 *
 * @param sha256 lower-case hex
 */
public record MulticastImage(String name, Path file, long size, String sha256, boolean encrypt) {
  public MulticastImage {
    if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("sha256 of " + name + " must be 64 lower-case hex digits");
    }
    if (size <= 0) {
      throw new IllegalArgumentException("size of " + name + " must be positive");
    }
  }
}
