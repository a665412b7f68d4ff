package io.osdeploy.daemon.content;

/**
 * Told when an image's state changed; it reads {@link ContentLibrary#snapshot()} for the new state.
 * Called on the library's threads, so it should hand work off rather than block.
 */
@FunctionalInterface
public interface ContentListener {
  void contentChanged();
}
