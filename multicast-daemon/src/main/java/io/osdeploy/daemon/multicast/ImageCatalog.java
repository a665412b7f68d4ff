package io.osdeploy.daemon.multicast;

import java.util.Optional;

/**
 * Looks up the images a DP may send by multicast (the daemon backs it with its content library).
 */
@FunctionalInterface
public interface ImageCatalog {
  /** The image if this DP holds a verified copy and the image allows multicast. */
  Optional<MulticastImage> find(String image);
}
