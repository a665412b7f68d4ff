package io.osdeploy.agent;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the task sequence tells Windows setup about an applied Windows image, kept in the agent's
 * state and written as the image's {@code Windows/Panther/unattend.xml}, where setup reads its
 * answer file when the image first starts. Each step that adds to it writes the whole file again.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class Unattend {
  /** Where Windows setup looks for its answer file, relative to the Windows partition's root. */
  static final String PATH = "Windows/Panther/unattend.xml";

  /** Where applyDriverPackage unpacks drivers, relative to the Windows partition's root. */
  static final String DRIVERS = "osdeploy/Drivers";

  private static final String COMPONENT =
      " processorArchitecture=\"amd64\" publicKeyToken=\"31bf3856ad364e35\""
          + " language=\"neutral\" versionScope=\"nonSxS\"";

  public String computerName;
  public String timeZone;
  public String locale;

  /**
   * The applyWindowsSettings step whose local Administrator's password the file sets: the value
   * itself is asked from the distribution point each time the file is written, never kept here.
   */
  public Integer administratorPasswordStep;

  /** The domain to join, and the joinDomain step whose account joins it (asked for likewise). */
  public DomainJoin domainJoin;

  /** A domain join without its account. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static final class DomainJoin {
    public String domain;
    public String organizationalUnit;
    public int step;
  }

  /** Where the answer file is removed once setup has finished, when it holds a secret. */
  static final String SETUP_COMPLETE = "Windows/Setup/Scripts/SetupComplete.cmd";

  /** The line SetupComplete.cmd gets. */
  static final String REMOVE_ANSWERS = "del /q /f \"%WINDIR%\\Panther\\unattend.xml\"";

  /** The Secret values of a step, as the distribution point hands them to this machine. */
  @FunctionalInterface
  interface Secrets {
    java.util.Map<String, String> of(int step) throws IOException, InterruptedException;
  }

  /** Whether writing the file needs values from the distribution point. */
  boolean needsSecrets() {
    return administratorPasswordStep != null || domainJoin != null;
  }

  /**
   * The obfuscation Windows setup reads for a password with {@code PlainText} false: Base64 of the
   * UTF-16LE bytes of the password followed by the element's name. It is not encryption.
   */
  static String obfuscated(String password, String element) {
    return java.util.Base64.getEncoder()
        .encodeToString((password + element).getBytes(StandardCharsets.UTF_16LE));
  }

  /** Driver folders staged in the image, as Windows names them (C:\osdeploy\Drivers\...). */
  public List<String> driverFolders = new ArrayList<>();

  /**
   * The NetBIOS computer name for a target machine's name: the name itself, upper-cased, when
   * Windows can take it (at most 15 characters, not only digits); "*" (Windows makes one up) for an
   * unknown computer.
   *
   * @throws IllegalArgumentException naming the machine when Windows cannot take its name
   */
  static String computerName(String machineName) {
    if (machineName == null) {
      return "*";
    }
    String name = machineName.toUpperCase(java.util.Locale.ROOT);
    if (name.length() > 15 || !name.matches("[A-Z0-9-]+") || name.matches("[0-9]+")) {
      throw new IllegalArgumentException(
          "the target machine's name "
              + machineName
              + " cannot be a Windows computer name (at most 15 letters, digits and hyphens, not"
              + " only digits)");
    }
    return name;
  }

  /** The answer file, with the values {@code secrets} hands for the steps that need them. */
  String xml(Secrets secrets) throws IOException, InterruptedException {
    java.util.Map<String, String> admin =
        administratorPasswordStep == null ? null : secrets.of(administratorPasswordStep);
    java.util.Map<String, String> account = domainJoin == null ? null : secrets.of(domainJoin.step);
    StringBuilder x = new StringBuilder();
    x.append("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    x.append("<unattend xmlns=\"urn:schemas-microsoft-com:unattend\"")
        .append(" xmlns:wcm=\"http://schemas.microsoft.com/WMIConfig/2002/State\">\n");
    x.append("  <settings pass=\"specialize\">\n");
    if (computerName != null || timeZone != null) {
      component(x, "Microsoft-Windows-Shell-Setup");
      element(x, "ComputerName", computerName);
      element(x, "TimeZone", timeZone);
      x.append("    </component>\n");
    }
    if (!driverFolders.isEmpty()) {
      // Setup installs the staged drivers before devices are set up for the first user.
      component(x, "Microsoft-Windows-Deployment");
      x.append("      <RunSynchronous>\n");
      int order = 1;
      for (String folder : driverFolders) {
        x.append("        <RunSynchronousCommand wcm:action=\"add\">\n");
        element(x, "Order", Integer.toString(order++), "          ");
        element(x, "Description", "osdeploy drivers " + folder, "          ");
        element(
            x,
            "Path",
            "pnputil.exe /add-driver \"" + folder + "\\*.inf\" /subdirs /install",
            "          ");
        x.append("        </RunSynchronousCommand>\n");
      }
      x.append("      </RunSynchronous>\n");
      x.append("    </component>\n");
    }
    if (domainJoin != null) {
      component(x, "Microsoft-Windows-UnattendedJoin");
      x.append("      <Identification>\n");
      x.append("        <Credentials>\n");
      // DOMAIN\account and account@domain name its domain; a bare name is in the joined one.
      String user = required(account, "username", domainJoin.step);
      int slash = user.indexOf('\\');
      int at = user.lastIndexOf('@');
      String domain = domainJoin.domain;
      if (slash > 0) {
        domain = user.substring(0, slash);
        user = user.substring(slash + 1);
      } else if (at > 0 && at < user.length() - 1) {
        domain = user.substring(at + 1);
        user = user.substring(0, at);
      }
      element(x, "Domain", domain, "          ");
      element(x, "Username", user, "          ");
      element(x, "Password", required(account, "password", domainJoin.step), "          ");
      x.append("        </Credentials>\n");
      element(x, "JoinDomain", domainJoin.domain, "        ");
      element(x, "MachineObjectOU", domainJoin.organizationalUnit, "        ");
      x.append("      </Identification>\n");
      x.append("    </component>\n");
    }
    x.append("  </settings>\n");
    if (locale != null || admin != null) {
      x.append("  <settings pass=\"oobeSystem\">\n");
      if (locale != null) {
        component(x, "Microsoft-Windows-International-Core");
        for (String e : List.of("InputLocale", "SystemLocale", "UILanguage", "UserLocale")) {
          element(x, e, locale);
        }
        x.append("    </component>\n");
      }
      if (admin != null) {
        component(x, "Microsoft-Windows-Shell-Setup");
        x.append("      <UserAccounts>\n");
        x.append("        <AdministratorPassword>\n");
        element(
            x,
            "Value",
            obfuscated(
                required(admin, "administratorPassword", administratorPasswordStep),
                "AdministratorPassword"),
            "          ");
        element(x, "PlainText", "false", "          ");
        x.append("        </AdministratorPassword>\n");
        x.append("      </UserAccounts>\n");
        x.append("    </component>\n");
      }
      x.append("  </settings>\n");
    }
    x.append("</unattend>\n");
    return x.toString();
  }

  /**
   * Writes the answer file into the Windows partition mounted at {@code root}. One that holds a
   * secret is also removed by SetupComplete.cmd, which Windows runs once setup has finished.
   */
  void writeTo(Path root, Secrets secrets) throws IOException, InterruptedException {
    Path file = root.resolve(PATH);
    Files.createDirectories(file.getParent());
    Files.writeString(file, xml(secrets), StandardCharsets.UTF_8);
    if (needsSecrets()) {
      Path script = root.resolve(SETUP_COMPLETE);
      Files.createDirectories(script.getParent());
      String existing =
          Files.exists(script) ? Files.readString(script, StandardCharsets.ISO_8859_1) : "";
      if (!existing.contains(REMOVE_ANSWERS)) {
        String separator = existing.isEmpty() || existing.endsWith("\n") ? "" : "\r\n";
        Files.writeString(
            script, existing + separator + REMOVE_ANSWERS + "\r\n", StandardCharsets.ISO_8859_1);
      }
    }
  }

  private static String required(java.util.Map<String, String> values, String name, int step)
      throws IOException {
    String value = values.get(name);
    if (value == null || value.isEmpty()) {
      throw new IOException("the distribution point handed no " + name + " for step " + (step + 1));
    }
    if (value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw new IOException(
          "the "
              + name
              + " for step "
              + (step + 1)
              + " has a control character, which an answer file cannot hold");
    }
    return value;
  }

  private static void component(StringBuilder x, String name) {
    x.append("    <component name=\"").append(name).append('"').append(COMPONENT).append(">\n");
  }

  private static void element(StringBuilder x, String name, String value) {
    element(x, name, value, "      ");
  }

  private static void element(StringBuilder x, String name, String value, String indent) {
    if (value != null) {
      x.append(indent).append('<').append(name).append('>').append(escape(value));
      x.append("</").append(name).append(">\n");
    }
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
