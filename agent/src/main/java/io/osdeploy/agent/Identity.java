package io.osdeploy.agent;

import io.osdeploy.api.v1alpha1.MacAddress;
import java.io.IOException;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How a machine names itself to its distribution point: the MAC of the interface facing it and the
 * SMBIOS system UUID, either or both. The deployment's target lists the same identities.
 */
public record Identity(String mac, String uuid) {
  private static final Path SMBIOS_UUID = Path.of("/sys/class/dmi/id/product_uuid");

  public Identity {
    mac = MacAddress.parse(mac, "--mac");
    uuid = uuid == null || uuid.isBlank() ? null : uuid.strip().toLowerCase(Locale.ROOT);
    if (mac == null && uuid == null) {
      throw new IllegalArgumentException(
          "--mac or --uuid: this machine has neither a MAC on the interface facing the"
              + " distribution point nor a readable SMBIOS UUID; give one");
    }
  }

  /** The MAC of {@code iface}, or null for an interface without one (loopback). */
  static String macOf(NetworkInterface iface) throws SocketException {
    byte[] hw = iface == null ? null : iface.getHardwareAddress();
    if (hw == null || hw.length != 6) {
      return null;
    }
    StringBuilder b = new StringBuilder();
    for (byte x : hw) {
      b.append(b.length() == 0 ? "" : ":").append(String.format("%02x", x & 0xff));
    }
    return b.toString();
  }

  /** The SMBIOS UUID the firmware reports, when this process may read it. */
  static String smbiosUuid() {
    try {
      return Files.isReadable(SMBIOS_UUID) ? Files.readString(SMBIOS_UUID).strip() : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** How the machine names itself where one name is needed (a multicast client id). */
  String name() {
    return mac != null ? mac : uuid;
  }
}
