package io.osdeploy.daemon.multicast;

import io.osdeploy.transfer.wire.JoinTicket;
import java.net.InetAddress;

/** How the control endpoint puts a receiver into a session. */
@FunctionalInterface
public interface MulticastJoin {
  /**
   * @param from the address the request came from (joins per address are limited)
   * @throws JoinRefusedException the image cannot be sent by multicast here
   */
  JoinTicket join(String image, String clientId, InetAddress from) throws JoinRefusedException;
}
