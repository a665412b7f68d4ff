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

  /** The answer file. */
  String xml() {
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
    x.append("  </settings>\n");
    if (locale != null) {
      x.append("  <settings pass=\"oobeSystem\">\n");
      component(x, "Microsoft-Windows-International-Core");
      for (String e : List.of("InputLocale", "SystemLocale", "UILanguage", "UserLocale")) {
        element(x, e, locale);
      }
      x.append("    </component>\n");
      x.append("  </settings>\n");
    }
    x.append("</unattend>\n");
    return x.toString();
  }

  /** Writes the answer file into the Windows partition mounted at {@code root}. */
  void writeTo(Path root) throws IOException {
    Path file = root.resolve(PATH);
    Files.createDirectories(file.getParent());
    Files.writeString(file, xml(), StandardCharsets.UTF_8);
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
