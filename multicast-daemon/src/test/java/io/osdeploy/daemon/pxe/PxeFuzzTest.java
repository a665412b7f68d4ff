package io.osdeploy.daemon.pxe;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.testing.Fuzzer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Mutated DHCP and TFTP packets: decoded, or refused as malformed; nothing else escapes. */
class PxeFuzzTest {
  @Test
  void dhcpPacketsAreDecodedOrRefusedAsMalformed() throws Exception {
    List<byte[]> seeds =
        List.of(
            PxeRequests.discover("52:54:00:00:00:01", 0, false).encode(),
            PxeRequests.discover("52:54:00:00:00:02", 7, true).encode(),
            PxeRequests.request("52:54:00:00:00:03", 3, 9, false, "PXEClient:Arch:00009").encode());
    Fuzzer.Report report =
        new Fuzzer("dhcp", seeds, 1500, MalformedPacketException.class)
            .run(input -> DhcpPacket.decode(input).encode());
    assertTrue(report.accepted() > 0 && report.refused() > 0, report.toString());
  }

  @Test
  void tftpPacketsAreDecodedOrRefusedAsMalformed() throws Exception {
    List<byte[]> seeds =
        List.of(
            tftp(1, "undionly.kpxe", "octet", "blksize", "1468", "tsize", "0", "windowsize", "4"),
            tftp(1, "../../etc/passwd", "netascii"),
            tftp(2, "upload.bin", "octet"),
            new byte[] {0, 4, 0, 1},
            new byte[] {0, 5, 0, 1, 'n', 'o', 0});
    Fuzzer.Report report =
        new Fuzzer("tftp", seeds, 600, MalformedPacketException.class)
            .run(input -> TftpPacket.decode(input, 512));
    assertTrue(report.accepted() > 0 && report.refused() > 0, report.toString());
  }

  private static byte[] tftp(int opcode, String... strings) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(opcode);
    for (String s : strings) {
      out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
      out.write(0);
    }
    return out.toByteArray();
  }
}
