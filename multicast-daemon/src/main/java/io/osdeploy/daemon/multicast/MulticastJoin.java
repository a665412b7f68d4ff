package io.osdeploy.daemon.multicast;

import io.osdeploy.transfer.wire.JoinTicket;

/** How the control endpoint puts a receiver into a session. */
@FunctionalInterface
public interface MulticastJoin {
  /**
   * @throws JoinRefusedException the image cannot be sent by multicast here
   */
  JoinTicket join(String image, String clientId) throws JoinRefusedException;
}
