package io.osdeploy.daemon.content;

import java.util.Optional;

/** Finds the verified copy of an image, for serving it. */
@FunctionalInterface
public interface VerifiedContent {
  /** The verified copy this node serves for the image, or empty when it has none. */
  Optional<VerifiedFile> verified(String image);

  /** Whether the image may be served by unicast; a {@code multicastOnly} image may not. */
  default boolean unicastAllowed(String image) {
    return true;
  }
}
