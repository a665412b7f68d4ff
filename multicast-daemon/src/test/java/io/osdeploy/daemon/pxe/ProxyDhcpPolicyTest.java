package io.osdeploy.daemon.pxe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.daemon.pxe.ProxyDhcpDecision.Answer;
import io.osdeploy.daemon.pxe.ProxyDhcpDecision.Ignored;
import io.osdeploy.daemon.pxe.ProxyDhcpDecision.RefusalReason;
import io.osdeploy.daemon.pxe.ProxyDhcpDecision.Refused;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProxyDhcpPolicyTest {
  private static final String KNOWN = "52:54:00:00:00:01";
  private static final String UNKNOWN = "52:54:00:00:00:99";
  private static final Inet4Address SERVER = DhcpPacket.address(new byte[] {10, 0, 0, 2});

  private final List<String> asked = new ArrayList<>();
  private final MachineFilter filter =
      (mac, uuid) -> {
        asked.add(mac + " " + uuid);
        return mac.equals(KNOWN);
      };

  private ProxyDhcpPolicy policy(boolean answerAll) {
    return new ProxyDhcpPolicy(new ProxyDhcpSettings(SERVER, 9080, answerAll), filter);
  }

  @Test
  void biosPxeRomGetsUndionlyInAProxyOffer() throws Exception {
    Answer answer = answer(policy(false).decide(PxeRequests.discover(KNOWN, 0, false), false));
    DhcpPacket offer = answer.reply();

    assertEquals("undionly.kpxe", offer.file());
    assertEquals("undionly.kpxe", offer.optionString(DhcpOption.BOOTFILE_NAME).orElseThrow());
    assertEquals(DhcpOption.OFFER, offer.messageType().getAsInt());
    assertEquals(DhcpPacket.ZERO, offer.yiaddr(), "a proxy offer never carries an address");
    assertEquals(SERVER, offer.siaddr());
    assertEquals(SERVER, DhcpPacket.address(offer.option(DhcpOption.SERVER_ID).orElseThrow()));
    assertEquals("PXEClient", offer.optionString(DhcpOption.VENDOR_CLASS).orElseThrow());
    assertEquals(0x1234abcd, offer.xid());
    assertEquals(KNOWN, offer.mac().orElseThrow());
    assertEquals(List.of(KNOWN + " 8c3e5a1b-2c3d-4e5f-9a8b-7c6d5e4f3a2b"), asked);
  }

  @Test
  void uefiX8664GetsSnponly() throws Exception {
    for (int arch : new int[] {7, 9}) {
      Answer answer = answer(policy(false).decide(PxeRequests.discover(KNOWN, arch, false), false));
      assertEquals("snponly.efi", answer.bootFile(), "arch " + arch);
    }
  }

  @Test
  void ipxeClientGetsTheBootScriptUrl() throws Exception {
    Answer answer = answer(policy(false).decide(PxeRequests.discover(KNOWN, 0, true), false));
    assertEquals(
        "http://10.0.0.2:9080/v1/boot.ipxe?mac=${net0/mac:hexhyp}&uuid=${uuid}",
        answer.reply().optionString(DhcpOption.BOOTFILE_NAME).orElseThrow());
    assertEquals(answer.bootFile(), answer.reply().file());
  }

  @Test
  void ipxeIsRecognisedByItsEncapsulatedOptionsAlone() throws Exception {
    DhcpPacket base = PxeRequests.discover(KNOWN, 7, true);
    var options = new java.util.LinkedHashMap<>(base.options());
    options.remove(DhcpOption.USER_CLASS);
    DhcpPacket only175 = copyWith(base, options);
    assertTrue(answer(policy(false).decide(only175, false)).bootFile().startsWith("http://"));
  }

  @Test
  void requestOnThePxePortGetsAnAck() throws Exception {
    DhcpPacket request = PxeRequests.request(KNOWN, DhcpOption.REQUEST, 0, false, null);
    Answer answer = answer(policy(false).decide(request, true));
    assertEquals(DhcpOption.ACK, answer.reply().messageType().getAsInt());
    assertEquals(DhcpPacket.ZERO, answer.reply().yiaddr());
  }

  @Test
  void requestOnPort67IsLeftToTheDhcpServer() throws Exception {
    DhcpPacket request = PxeRequests.request(KNOWN, DhcpOption.REQUEST, 0, false, null);
    assertInstanceOf(Ignored.class, policy(true).decide(request, false));
  }

  @Test
  void unknownMachineIsRefused() throws Exception {
    Refused refused =
        assertInstanceOf(
            Refused.class, policy(false).decide(PxeRequests.discover(UNKNOWN, 0, true), false));
    assertEquals(RefusalReason.UNKNOWN_MACHINE, refused.reason());
    assertEquals(UNKNOWN, refused.client().mac());
  }

  @Test
  void answerAllAnswersUnknownMachinesWithoutAsking() throws Exception {
    Answer answer = answer(policy(true).decide(PxeRequests.discover(UNKNOWN, 0, false), false));
    assertEquals("undionly.kpxe", answer.bootFile());
    assertEquals(List.of(), asked);
  }

  @Test
  void unsupportedArchitectureIsRefused() throws Exception {
    Refused refused =
        assertInstanceOf(
            Refused.class,
            policy(true)
                .decide(PxeRequests.discover(KNOWN, PxeClient.ARCH_EFI_IA32, false), false));
    assertEquals(RefusalReason.UNSUPPORTED_ARCHITECTURE, refused.reason());
  }

  @Test
  void ordinaryDhcpClientIsIgnored() throws Exception {
    DhcpPacket laptop = PxeRequests.request(KNOWN, DhcpOption.DISCOVER, 0, false, "MSFT 5.0");
    assertInstanceOf(Ignored.class, policy(true).decide(laptop, false));
    assertEquals(List.of(), asked);
  }

  @Test
  void badArchitectureOptionNamesTheOption() {
    DhcpPacket base = PxeRequests.discover(KNOWN, 0, false);
    var options = new java.util.LinkedHashMap<>(base.options());
    options.put(DhcpOption.CLIENT_ARCH, new byte[] {0});
    MalformedPacketException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            MalformedPacketException.class,
            () -> policy(true).decide(copyWith(base, options), false));
    assertTrue(e.getMessage().startsWith("option 93"), e.getMessage());
  }

  private static Answer answer(ProxyDhcpDecision decision) {
    return assertInstanceOf(Answer.class, decision);
  }

  private static DhcpPacket copyWith(DhcpPacket p, java.util.Map<Integer, byte[]> options) {
    return new DhcpPacket(
        p.op(),
        p.htype(),
        p.hlen(),
        p.hops(),
        p.xid(),
        p.secs(),
        p.flags(),
        p.ciaddr(),
        p.yiaddr(),
        p.siaddr(),
        p.giaddr(),
        p.chaddr(),
        p.sname(),
        p.file(),
        options);
  }
}
