package io.osdeploy.daemon.pxe;

/** The DHCP option codes a PXE exchange uses (RFC 2132, RFC 4578, RFC 3004, PXE 2.1). */
public final class DhcpOption {
  private DhcpOption() {}

  public static final int PAD = 0;
  public static final int VENDOR_SPECIFIC = 43;
  public static final int MESSAGE_TYPE = 53;
  public static final int SERVER_ID = 54;
  public static final int PARAMETER_REQUEST_LIST = 55;
  public static final int VENDOR_CLASS = 60;
  public static final int TFTP_SERVER_NAME = 66;
  public static final int BOOTFILE_NAME = 67;
  public static final int USER_CLASS = 77;
  public static final int CLIENT_ARCH = 93;
  public static final int CLIENT_NDI = 94;
  public static final int CLIENT_UUID = 97;
  public static final int IPXE_ENCAPSULATED = 175;
  public static final int END = 255;

  /** Values of option 53. */
  public static final int DISCOVER = 1;

  public static final int OFFER = 2;
  public static final int REQUEST = 3;
  public static final int ACK = 5;
  public static final int INFORM = 8;
}
