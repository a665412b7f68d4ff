package io.osdeploy.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;
import java.util.Map;

/** One step of a task sequence: a name and exactly one action. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = Step.ONE_ACTION,
    message =
        "a step sets exactly one of partitionDisk, applyOperatingSystem, applyDriverPackage,"
            + " installPackage, runCommand, setVariable, captureUserState, restoreUserState,"
            + " captureImage, applyWindowsSettings, joinDomain, restart")
@SchemaCustomizer(
    value = Describe.class,
    input = "self: One step of a task sequence: a name and exactly one action.")
public class Step {
  static final String ONE_ACTION =
      "[has(self.partitionDisk), has(self.applyOperatingSystem), has(self.applyDriverPackage),"
          + " has(self.installPackage), has(self.runCommand), has(self.setVariable),"
          + " has(self.captureUserState), has(self.restoreUserState), has(self.captureImage),"
          + " has(self.applyWindowsSettings), has(self.joinDomain), has(self.restart)]"
          + ".filter(x, x).size() == 1";

  @Required
  @Size(min = 1, max = 63)
  @Pattern("^[A-Za-z0-9]([-A-Za-z0-9_. ]*[A-Za-z0-9])?$")
  @JsonPropertyDescription("Unique name of the step, shown in progress reports.")
  private String name;

  @JsonPropertyDescription("Go on with the next step when this one fails.")
  private Boolean continueOnError;

  @JsonPropertyDescription(
      "Write a new partition table (GPT or MBR) on a disk, with one partition for the"
          + " image, after an EFI system partition with layout Uefi, or the partitions Windows"
          + " needs with layout Windows; no old table or file-system signature survives.")
  private PartitionDisk partitionDisk;

  @JsonPropertyDescription(
      "Write an OSImage onto the partition partitionDisk made, onto destination, or"
          + " (format Disk) over the whole disk: by multicast where the image and the"
          + " deployment allow it, the rest by HTTP from the distribution point where unicast"
          + " is allowed. The step succeeds only when the written bytes have the image's"
          + " SHA-256. A Windows image (format Wim) is staged on the disk, checked, applied to"
          + " the Windows partition, and the boot files written from its own Windows\\Boot.")
  private ApplyOperatingSystem applyOperatingSystem;

  @JsonPropertyDescription(
      "Fetch a driver package, check its SHA-256, and run it with args; without args,"
          + " keep it for later steps (${OSD_PACKAGE} holds its path). Works as installPackage"
          + " does. After a Windows image (format Wim) was applied, the package is a zip of"
          + " driver folders: it is unpacked into the image's \\osdeploy\\Drivers\\<step>,"
          + " and Windows installs its drivers as it sets itself up (unattend.xml, specialize"
          + " pass).")
  private Content applyDriverPackage;

  @JsonPropertyDescription(
      "Fetch a software package, check its SHA-256, and run it with args; without args,"
          + " keep it for later steps (${OSD_PACKAGE} holds its path).")
  private Content installPackage;

  @JsonPropertyDescription(
      "Run a shell command on the machine; the step fails when the command times out or"
          + " exits with a code not in successCodes.")
  private RunCommand runCommand;

  @JsonPropertyDescription(
      "Set a task-sequence variable: ${NAME} in later steps is replaced by its value.")
  private SetVariable setVariable;

  @JsonPropertyDescription(
      "Zip a directory of user state (options.path) and store it on the distribution"
          + " point under storeKey, e.g. on a computer about to be replaced.")
  private UserState captureUserState;

  @JsonPropertyDescription(
      "Fetch the newest user state stored under storeKey from the distribution point,"
          + " check its SHA-256 and unpack it into options.path.")
  private UserState restoreUserState;

  @JsonPropertyDescription(
      "Read the machine's disk (or one of its partitions), compress it with Zstandard and"
          + " upload it to the distribution point; the deployment's status.captures then lists"
          + " its URL, SHA-256 and size, ready to publish as an OSImage. Run it from the boot"
          + " environment, where the disk is not in use.")
  private CaptureImage captureImage;

  @JsonPropertyDescription(
      "Windows settings for the image a previous step applied (format Wim), written to its"
          + " Windows\\Panther\\unattend.xml where Windows setup reads them: the computer"
          + " name (the target machine's name; Windows makes one up for an unknown computer),"
          + " time zone, locale and the local Administrator's password (from a Secret).")
  private ApplyWindowsSettings applyWindowsSettings;

  @JsonPropertyDescription(
      "Join the Windows image a previous step applied (format Wim) to an Active Directory"
          + " domain as Windows sets itself up (unattend.xml, specialize pass), with an account"
          + " from a Secret.")
  private JoinDomain joinDomain;

  @JsonPropertyDescription(
      "Restart the machine, into its installed system (default) or into the boot"
          + " environment; the task sequence resumes at the next step after the restart."
          + " intoBootEnvironment says where each may be used.")
  private Restart restart;

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public Boolean getContinueOnError() {
    return continueOnError;
  }

  public void setContinueOnError(Boolean continueOnError) {
    this.continueOnError = continueOnError;
  }

  public PartitionDisk getPartitionDisk() {
    return partitionDisk;
  }

  public void setPartitionDisk(PartitionDisk partitionDisk) {
    this.partitionDisk = partitionDisk;
  }

  public ApplyOperatingSystem getApplyOperatingSystem() {
    return applyOperatingSystem;
  }

  public void setApplyOperatingSystem(ApplyOperatingSystem applyOperatingSystem) {
    this.applyOperatingSystem = applyOperatingSystem;
  }

  public Content getApplyDriverPackage() {
    return applyDriverPackage;
  }

  public void setApplyDriverPackage(Content applyDriverPackage) {
    this.applyDriverPackage = applyDriverPackage;
  }

  public Content getInstallPackage() {
    return installPackage;
  }

  public void setInstallPackage(Content installPackage) {
    this.installPackage = installPackage;
  }

  public RunCommand getRunCommand() {
    return runCommand;
  }

  public void setRunCommand(RunCommand runCommand) {
    this.runCommand = runCommand;
  }

  public SetVariable getSetVariable() {
    return setVariable;
  }

  public void setSetVariable(SetVariable setVariable) {
    this.setVariable = setVariable;
  }

  public UserState getCaptureUserState() {
    return captureUserState;
  }

  public void setCaptureUserState(UserState captureUserState) {
    this.captureUserState = captureUserState;
  }

  public UserState getRestoreUserState() {
    return restoreUserState;
  }

  public void setRestoreUserState(UserState restoreUserState) {
    this.restoreUserState = restoreUserState;
  }

  public CaptureImage getCaptureImage() {
    return captureImage;
  }

  public void setCaptureImage(CaptureImage captureImage) {
    this.captureImage = captureImage;
  }

  public Restart getRestart() {
    return restart;
  }

  public ApplyWindowsSettings getApplyWindowsSettings() {
    return applyWindowsSettings;
  }

  public void setApplyWindowsSettings(ApplyWindowsSettings applyWindowsSettings) {
    this.applyWindowsSettings = applyWindowsSettings;
  }

  public JoinDomain getJoinDomain() {
    return joinDomain;
  }

  public void setJoinDomain(JoinDomain joinDomain) {
    this.joinDomain = joinDomain;
  }

  /** Settings Windows setup applies when the image first starts. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class ApplyWindowsSettings {
    @Size(max = 64)
    @Pattern("^[A-Za-z0-9][A-Za-z0-9 .()+-]*$")
    @JsonPropertyDescription(
        "Windows time-zone name, e.g. \"W. Europe Standard Time\" (tzutil /l lists them);"
            + " default the image's own.")
    private String timeZone;

    @Size(max = 35)
    @Pattern("^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    @JsonPropertyDescription(
        "Language tag for the system, user and input locales and the display language, e.g."
            + " de-DE; default the image's own.")
    private String locale;

    @JsonPropertyDescription(
        "The local Administrator's password: a key (default \"password\") of a Secret in the"
            + " deployment's namespace. It reaches only the machines the deployment targets,"
            + " each with its own token, and is written obfuscated as Windows setup expects.")
    private BootableMediaSpec.SecretKeyRef administratorPassword;

    public BootableMediaSpec.SecretKeyRef getAdministratorPassword() {
      return administratorPassword;
    }

    public void setAdministratorPassword(BootableMediaSpec.SecretKeyRef administratorPassword) {
      this.administratorPassword = administratorPassword;
    }

    public String getTimeZone() {
      return timeZone;
    }

    public void setTimeZone(String timeZone) {
      this.timeZone = timeZone;
    }

    public String getLocale() {
      return locale;
    }

    public void setLocale(String locale) {
      this.locale = locale;
    }
  }

  public void setRestart(Restart restart) {
    this.restart = restart;
  }

  /** An Active Directory domain to join, as Windows setup joins one. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class JoinDomain {
    @Required
    @Size(max = 253)
    @Pattern("^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$")
    @JsonPropertyDescription("The domain's DNS name, e.g. corp.example.com.")
    private String domain;

    @Size(max = 1024)
    @Pattern("^(?i)(OU|CN)=.+$")
    @JsonPropertyDescription(
        "Distinguished name of the organizational unit for the computer account, e.g."
            + " OU=Workstations,DC=corp,DC=example,DC=com; default the domain's Computers"
            + " container.")
    private String organizationalUnit;

    @Required
    @JsonPropertyDescription(
        "The Secret (same namespace) with the account that joins: keys username (user,"
            + " DOMAIN\\user or user@domain) and password, as a kubernetes.io/basic-auth"
            + " Secret has them.")
    private SecretName account;

    public String getDomain() {
      return domain;
    }

    public void setDomain(String domain) {
      this.domain = domain;
    }

    public String getOrganizationalUnit() {
      return organizationalUnit;
    }

    public void setOrganizationalUnit(String organizationalUnit) {
      this.organizationalUnit = organizationalUnit;
    }

    public SecretName getAccount() {
      return account;
    }

    public void setAccount(SecretName account) {
      this.account = account;
    }
  }

  /** A Secret in the deployment's namespace, by name. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class SecretName {
    @Required
    @Pattern(Patterns.OBJECT_NAME)
    @Size(max = 253)
    @JsonPropertyDescription(
        "Name of the Secret; the operator sees only Secrets labelled osdeploy.io/secret:"
            + " \"true\".")
    private String name;

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class PartitionDisk {
    @Size(max = 256)
    @JsonPropertyDescription("Target disk (e.g. /dev/sda); default the first fixed disk.")
    private String disk;

    @JsonPropertyDescription("Partition table: Gpt (default) or Mbr.")
    private Scheme scheme;

    @JsonPropertyDescription(
        "Single (default): one partition from 1 MiB to the end of the disk, for the image. Uefi:"
            + " an EFI system partition of 260 MiB from 1 MiB (FAT32 where the boot environment"
            + " can format it; ${OSD_ESP} names it), then the image's partition to the end. Uefi"
            + " needs scheme Gpt. Windows, the layout Microsoft recommends, for an image of"
            + " format Wim: with Gpt an EFI system partition of 260 MiB (FAT32), a Microsoft"
            + " reserved partition of 16 MiB, the Windows partition, and a recovery partition of"
            + " 1 GiB at the disk's end; with Mbr an active system partition of 100 MiB, the"
            + " Windows partition and the recovery partition (NTFS each).")
    private Layout layout;

    public Layout getLayout() {
      return layout;
    }

    public void setLayout(Layout layout) {
      this.layout = layout;
    }

    public enum Layout {
      Single,
      Uefi,
      Windows
    }

    public String getDisk() {
      return disk;
    }

    public void setDisk(String disk) {
      this.disk = disk;
    }

    public Scheme getScheme() {
      return scheme;
    }

    public void setScheme(Scheme scheme) {
      this.scheme = scheme;
    }

    public enum Scheme {
      Gpt,
      Mbr
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class ApplyOperatingSystem {
    @Required
    @Pattern(Patterns.OBJECT_NAME)
    @Size(max = 253)
    @JsonPropertyDescription("Name of the OSImage (same namespace) to apply.")
    private String osImage;

    @Size(max = 256)
    @JsonPropertyDescription(
        "Disk or partition to write the image to; default the partitioned disk.")
    private String destination;

    public String getOsImage() {
      return osImage;
    }

    public void setOsImage(String osImage) {
      this.osImage = osImage;
    }

    public String getDestination() {
      return destination;
    }

    public void setDestination(String destination) {
      this.destination = destination;
    }
  }

  /**
   * A package, drivers or software: content of the distribution points (an OSImage of format
   * Package), or a download from any URL with its SHA-256.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "has(self.osImage) != has(self.url)",
      message = "a package sets exactly one of osImage and url")
  @ValidationRule(
      value = "!has(self.url) || has(self.sha256)",
      message = "a package from a url needs its sha256")
  @SchemaCustomizer(
      value = Describe.class,
      input = "self.args[]: One argument; task-sequence variables substituted.")
  public static class Content {
    @Pattern(Patterns.OBJECT_NAME)
    @Size(max = 253)
    @JsonPropertyDescription(
        "Name of an OSImage of format Package (same namespace): the package comes from the"
            + " deployment's distribution points, by multicast where the image allows it, and its"
            + " SHA-256 is the OSImage's.")
    private String osImage;

    @Pattern(Patterns.HTTP_URL)
    @Size(max = 2048)
    @JsonPropertyDescription(
        "Where to download the package from, when it is not content of the distribution points.")
    private String url;

    @Pattern(Patterns.SHA256)
    @JsonPropertyDescription("SHA-256 of the package at url, 64 hex digits.")
    private String sha256;

    @Size(max = 64)
    @JsonPropertyDescription(
        "Run the package with these arguments, each passed as one; it must exit 0 within"
            + " an hour. Without args the package is only downloaded and verified, and"
            + " ${OSD_PACKAGE} holds its path for later steps.")
    private List<@Size(max = 1024) String> args;

    public String getOsImage() {
      return osImage;
    }

    public void setOsImage(String osImage) {
      this.osImage = osImage;
    }

    public String getUrl() {
      return url;
    }

    public void setUrl(String url) {
      this.url = url;
    }

    public String getSha256() {
      return sha256;
    }

    public void setSha256(String sha256) {
      this.sha256 = sha256;
    }

    public List<String> getArgs() {
      return args;
    }

    public void setArgs(List<String> args) {
      this.args = args;
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @SchemaCustomizer(
      value = Describe.class,
      input = "self.successCodes[]: An exit code that counts as success.")
  public static class RunCommand {
    @Required
    @Size(min = 1, max = 4096)
    @JsonPropertyDescription("Command line, run by /bin/sh; task-sequence variables substituted.")
    private String command;

    @Min(1)
    @Max(86400)
    @JsonPropertyDescription(
        "Seconds the command may run before it is killed and the step fails; default 3600.")
    private Integer timeoutSeconds;

    @Size(max = 64)
    @JsonPropertyDescription("Exit codes that count as success (default 0).")
    private List<Integer> successCodes;

    public String getCommand() {
      return command;
    }

    public void setCommand(String command) {
      this.command = command;
    }

    public Integer getTimeoutSeconds() {
      return timeoutSeconds;
    }

    public void setTimeoutSeconds(Integer timeoutSeconds) {
      this.timeoutSeconds = timeoutSeconds;
    }

    public List<Integer> getSuccessCodes() {
      return successCodes;
    }

    public void setSuccessCodes(List<Integer> successCodes) {
      this.successCodes = successCodes;
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class SetVariable {
    @Required
    @Pattern("^[A-Za-z_][A-Za-z0-9_]*$")
    @Size(max = 128)
    @JsonPropertyDescription(
        "Name of the variable: ${NAME} in later steps is replaced by its value, and"
            + " commands get it in their environment.")
    private String name;

    @Required
    @Size(max = 4096)
    @JsonPropertyDescription(
        "Value of the variable; task-sequence variables in it (${NAME}) are substituted.")
    private String value;

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public String getValue() {
      return value;
    }

    public void setValue(String value) {
      this.value = value;
    }
  }

  /** What a captureImage step reads, and the name its capture has in the deployment's status. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class CaptureImage {
    @Required
    @Size(max = 63)
    @Pattern(Patterns.OBJECT_NAME)
    @JsonPropertyDescription(
        "Name of the capture, unique per machine in the deployment: status.captures lists it"
            + " under this name, and a later run of the step replaces it.")
    private String name;

    @Size(max = 256)
    @JsonPropertyDescription(
        "The disk to read (task-sequence variables substituted); default the disk a"
            + " partitionDisk step used, else the machine's first disk (${OSD_DISK}).")
    private String disk;

    @Min(1)
    @Max(128)
    @JsonPropertyDescription(
        "Capture only this partition of the disk (1 is the first); without it, the whole disk"
            + " (an image of format Disk).")
    private Integer partition;

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public String getDisk() {
      return disk;
    }

    public void setDisk(String disk) {
      this.disk = disk;
    }

    public Integer getPartition() {
      return partition;
    }

    public void setPartition(Integer partition) {
      this.partition = partition;
    }
  }

  /** Where user state is captured to or restored from, on the distribution point's state store. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @SchemaCustomizer(value = Describe.class, input = "self.options{}: The option's value.")
  public static class UserState {
    @Size(max = 253)
    @Pattern(Patterns.OBJECT_NAME)
    @JsonPropertyDescription("State store key; default the machine's name in the target.")
    private String storeKey;

    @Size(max = 64)
    @JsonPropertyDescription(
        "Options of the step. path: the directory to capture, or to restore into"
            + " (task-sequence variables substituted); default the agent's --user-state-dir.")
    private Map<String, String> options;

    public String getStoreKey() {
      return storeKey;
    }

    public void setStoreKey(String storeKey) {
      this.storeKey = storeKey;
    }

    public Map<String, String> getOptions() {
      return options;
    }

    public void setOptions(Map<String, String> options) {
      this.options = options;
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Restart {
    @JsonPropertyDescription(
        "Where the machine restarts to. true: the boot environment; from an installed system the"
            + " agent starts the distribution point's boot environment with kexec, and the sequence"
            + " resumes there; in the boot environment the agent starts again. false (default): the"
            + " installed system; in the boot environment only as the last step, after which the"
            + " machine starts its installed system.")
    private Boolean intoBootEnvironment;

    public Boolean getIntoBootEnvironment() {
      return intoBootEnvironment;
    }

    public void setIntoBootEnvironment(Boolean intoBootEnvironment) {
      this.intoBootEnvironment = intoBootEnvironment;
    }
  }
}
