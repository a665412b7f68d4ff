package io.osdeploy.operator.media;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The iPXE script a boot media carries: configure the network, ask for the password if the media
 * has one, then ask each boot server in turn for the machine's boot script. If none answers, say so
 * and go back to the firmware, which boots the local disk.
 *
 * <p>The boot servers get {@code GET <server>/v1/boot.ipxe} with the query parameters {@code mac}
 * (of the interface that got the network configuration), {@code uuid} (SMBIOS), {@code
 * source=media}, {@code media=<namespace>/<name>} and, for media pinning one, {@code deployment}. A
 * media with a password sends it by HTTP Basic authentication, user name {@link #USER_NAME}, once
 * the server answers 401 with {@code WWW-Authenticate: Basic}; the password never appears in the
 * URL. Written for Debian's iPXE build, which has neither the {@code params} command (form POST)
 * nor {@code poweroff}. The same script runs under BIOS (the initrd of {@code ipxe.lkrn}) and UEFI
 * ({@code autoexec.ipxe} beside {@code BOOTX64.EFI}).
 */
public final class PointerScript {
  /** The user name in the HTTP Basic credentials of a media with a password. */
  public static final String USER_NAME = "osdeploy";

  /** What the script shows before iPXE's login screen asks for the password. */
  public static final String PASSWORD_NOTICE = "osdeploy: this media asks for its password";

  /** Seconds the script waits for a key (try again) before going back to the firmware. */
  static final int RETRY_PROMPT_SECONDS = 15;

  /**
   * Defence in depth: {@link MediaInputs} already validated every value, but nothing reaches the
   * script that could end an argument or a line, expand a setting or start a comment.
   */
  private static final Pattern SCRIPT_SAFE = Pattern.compile("[-A-Za-z0-9._~:/\\[\\]]+");

  private PointerScript() {}

  public static String render(MediaInputs media) {
    String id = safe("media", media.mediaId());
    StringBuilder s = new StringBuilder("#!ipxe\n");
    s.append("# osdeploy boot media ").append(id).append('\n');
    s.append("# A pointer only: the boot servers decide what this machine runs.\n");
    if (media.caFingerprint() != null) {
      s.append("# CA fingerprint (SHA-256) ")
          .append(safe("caFingerprint", media.caFingerprint()))
          .append(": this media's UEFI iPXE trusts that CA only\n");
    }
    s.append(":start\n");
    s.append("echo osdeploy: boot media ").append(id).append('\n');
    s.append("dhcp || dhcp || dhcp || goto no-network\n");
    String credentials = "";
    if (media.asksForPassword()) {
      s.append("echo ").append(PASSWORD_NOTICE).append('\n');
      s.append("set username ").append(USER_NAME).append('\n');
      s.append("login || goto cancelled\n");
      credentials = USER_NAME + ":${password:uristring}@";
    }
    String query = query(media);
    List<String> servers = media.bootServers();
    for (int i = 0; i < servers.size(); i++) {
      String server = safe("bootServers[" + i + "]", servers.get(i));
      String next = i + 1 < servers.size() ? "server-" + (i + 1) : "no-server";
      int separator = server.indexOf("://") + 3;
      String url =
          server.substring(0, separator)
              + credentials
              + server.substring(separator)
              + "/v1/boot.ipxe?"
              + query;
      s.append(":server-").append(i).append('\n');
      s.append("echo osdeploy: asking ").append(server).append('\n');
      s.append("chain --replace ").append(url).append(" || goto ").append(next).append('\n');
    }
    s.append(":no-server\n");
    s.append("echo osdeploy: no boot server answered")
        .append(media.asksForPassword() ? " or the password was refused" : "")
        .append('\n');
    s.append("goto retry\n");
    s.append(":no-network\n");
    s.append("echo osdeploy: no network configuration (DHCP failed on every interface)\n");
    s.append("goto retry\n");
    if (media.asksForPassword()) {
      s.append(":cancelled\n");
      s.append("echo osdeploy: password entry cancelled\n");
    }
    s.append(":retry\n");
    s.append("prompt --timeout ")
        .append(RETRY_PROMPT_SECONDS * 1000)
        .append(" osdeploy: press any key to try again, or wait to start from the local disk in ")
        .append(RETRY_PROMPT_SECONDS)
        .append(" s && goto start ||\n");
    s.append("exit\n");
    return s.toString();
  }

  private static String query(MediaInputs media) {
    StringBuilder q = new StringBuilder();
    q.append("mac=${netX/mac}&uuid=${uuid}&source=media&media=").append(media.mediaId());
    if (media.deployment() != null) {
      q.append("&deployment=").append(safe("deployment", media.deployment()));
    }
    return q.toString();
  }

  private static String safe(String field, String value) {
    if (!SCRIPT_SAFE.matcher(value).matches()) {
      throw new IllegalArgumentException(field + ": not safe in an iPXE script: " + value);
    }
    return value;
  }
}
