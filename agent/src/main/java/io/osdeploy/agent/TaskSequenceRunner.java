package io.osdeploy.agent;

import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.transfer.receive.ImageDownload;
import java.io.IOException;
import java.net.NetworkInterface;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a deployment's steps from where the machine's state says, saving the state after each and
 * reporting each to the distribution point: {@code running} as a step starts, {@code failed} with
 * the step and its message when one fails (unless it may), {@code succeeded} at the end.
 */
final class TaskSequenceRunner {
  enum Result {
    SUCCEEDED,
    FAILED,
    RESTART
  }

  /** A step that did not do what it should; the message names the field or the cause. */
  static final class StepFailed extends Exception {
    StepFailed(String message) {
      super(message);
    }
  }

  private static final Logger log = LoggerFactory.getLogger(TaskSequenceRunner.class);
  private static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofHours(1);
  private static final int OUTPUT_TAIL = 400;

  private final AgentOptions options;
  private final Identity identity;
  private final NetworkInterface iface;
  private final DistributionPointClient dp;
  private final UserStateStore userState;

  /** The step running now: the one an image's progress reports are about. */
  private volatile int currentStep;

  TaskSequenceRunner(
      AgentOptions options,
      Identity identity,
      NetworkInterface iface,
      DistributionPointClient dp,
      UserStateStore userState) {
    this.options = options;
    this.identity = identity;
    this.iface = iface;
    this.dp = dp;
    this.userState = userState;
  }

  Result run(Policy.Offer offer, AgentState state) throws IOException, InterruptedException {
    List<Step> steps = offer.steps();
    builtIns(offer, state);
    while (state.nextStep < steps.size()) {
      int i = state.nextStep;
      Step step = steps.get(i);
      currentStep = i;
      report(offer, i, "running", step.getName());
      log.info("{}: step {} of {}: {}", offer.name(), i + 1, steps.size(), step.getName());
      try {
        if (step.getRestart() != null) {
          Result restarted = restart(offer, i, step, state);
          if (restarted != null) {
            return restarted;
          }
          continue;
        }
        String done = runStep(offer, i, step, state);
        if (done != null) {
          log.info("step {}: {}", step.getName(), done);
        }
      } catch (StepFailed e) {
        String message = step.getName() + ": " + e.getMessage();
        log.error("{}: step {} of {} failed: {}", offer.name(), i + 1, steps.size(), message);
        if (Boolean.TRUE.equals(step.getContinueOnError())) {
          state.ignoredFailures.add(message);
          report(offer, i, "running", message + " (continuing: continueOnError)");
        } else {
          state.outcome = AgentState.Outcome.FAILED;
          state.save(options.stateDir());
          report(offer, i, "failed", message);
          return Result.FAILED;
        }
      }
      state.nextStep = i + 1;
      state.save(options.stateDir());
    }
    state.outcome = AgentState.Outcome.SUCCEEDED;
    state.save(options.stateDir());
    String summary =
        "completed "
            + steps.size()
            + " steps"
            + (state.ignoredFailures.isEmpty()
                ? ""
                : "; "
                    + state.ignoredFailures.size()
                    + " failed and were allowed to: "
                    + String.join("; ", state.ignoredFailures));
    log.info("{}: {}", offer.name(), summary);
    report(offer, Math.max(0, steps.size() - 1), "succeeded", summary);
    return Result.SUCCEEDED;
  }

  private void builtIns(Policy.Offer offer, AgentState state) {
    Map<String, String> v = state.variables;
    v.putIfAbsent("OSD_DEPLOYMENT", offer.name());
    v.putIfAbsent("OSD_SERVER", dp.server().toString());
    v.putIfAbsent("OSD_STATE_DIR", options.stateDir().toString());
    if (identity.mac() != null) {
      v.putIfAbsent("OSD_MAC", identity.mac());
    }
    if (identity.uuid() != null) {
      v.putIfAbsent("OSD_UUID", identity.uuid());
    }
    if (options.disk() != null) {
      v.putIfAbsent("OSD_DISK", options.disk().toString());
    }
  }

  /**
   * A restart step: returns how the agent ends (the state already names the next step), or null
   * when the sequence goes on in this run (a restart into the installed system that is the boot
   * environment's last step: the deployment is done, and {@code /init} restarts the machine).
   */
  private Result restart(Policy.Offer offer, int i, Step step, AgentState state)
      throws StepFailed, IOException, InterruptedException {
    int left = offer.steps().size() - i - 1;
    boolean intoBootEnvironment = Boolean.TRUE.equals(step.getRestart().getIntoBootEnvironment());
    if (options.bootEnvironment() && !intoBootEnvironment) {
      if (left > 0) {
        throw new StepFailed(
            "restart: into the installed system with "
                + left
                + " step(s) after it: the boot environment cannot hand them to the installed"
                + " system; move them before the restart, or restart into the boot environment");
      }
      state.nextStep = i + 1;
      state.save(options.stateDir());
      log.info("{}: the installed system starts once the deployment is done", offer.name());
      return null;
    }
    state.nextStep = i + 1;
    state.save(options.stateDir());
    if (intoBootEnvironment && options.bootEnvironment()) {
      report(offer, i, "running", step.getName() + ": the agent starts again");
      return Result.RESTART;
    }
    if (intoBootEnvironment) {
      report(offer, i, "running", step.getName() + ": restarting into the boot environment");
      String why;
      try {
        why = BootEnvironmentHandover.restart(options, identity, dp, offer.name());
      } catch (IOException e) {
        why = e.getMessage();
      }
      state.nextStep = i;
      state.save(options.stateDir());
      throw new StepFailed("restart: " + why);
    }
    report(offer, i, "running", step.getName() + ": restarting");
    if (options.rebootCommand() != null) {
      command(options.rebootCommand(), state.variables, DEFAULT_COMMAND_TIMEOUT, List.of(0), i);
    }
    return Result.RESTART;
  }

  /** Runs one step other than restart; returns what it did, for the log. */
  private String runStep(Policy.Offer offer, int i, Step step, AgentState state)
      throws StepFailed, IOException, InterruptedException {
    Map<String, String> vars = state.variables;
    if (step.getPartitionDisk() != null) {
      Path disk = disk(step.getPartitionDisk().getDisk(), vars, "partitionDisk.disk");
      DiskLabel.Scheme scheme =
          step.getPartitionDisk().getScheme() == Step.PartitionDisk.Scheme.Mbr
              ? DiskLabel.Scheme.MBR
              : DiskLabel.Scheme.GPT;
      if (step.getPartitionDisk().getLayout() == Step.PartitionDisk.Layout.Windows) {
        return partitionWindows(disk, scheme, state);
      }
      boolean uefi = step.getPartitionDisk().getLayout() == Step.PartitionDisk.Layout.Uefi;
      if (uefi && scheme == DiskLabel.Scheme.MBR) {
        throw new StepFailed("partitionDisk.layout: Uefi needs scheme Gpt");
      }
      DiskLabel.Written written;
      try {
        written = DiskLabel.write(disk, scheme, uefi);
      } catch (IOException e) {
        throw new StepFailed("partitionDisk.disk: " + e.getMessage());
      }
      DiskLabel.Partition p = written.image();
      state.windowsLayout = null;
      state.windowsApplied = false;
      state.partitionDisk = disk.toString();
      state.partitionOffset = p.offset();
      state.partitionLength = p.length();
      vars.put("OSD_DISK", disk.toString());
      String esp = "";
      if (written.efiSystem() != null) {
        BlockDevices.rereadPartitions(disk);
        esp = ", EFI system partition at " + written.efiSystem().offset();
        Path device = BlockDevices.partition(disk, 1);
        if (device != null) {
          vars.put("OSD_ESP", device.toString());
          esp +=
              BlockDevices.formatFat32(device) ? " (" + device + ", FAT32)" : " (" + device + ")";
        }
      }
      return scheme
          + " on "
          + disk
          + esp
          + ", partition at "
          + p.offset()
          + " ("
          + p.length()
          + " bytes)";
    }
    if (step.getApplyOperatingSystem() != null) {
      return applyImage(offer, i, step.getApplyOperatingSystem(), state);
    }
    Step.Content pkg =
        step.getApplyDriverPackage() != null
            ? step.getApplyDriverPackage()
            : step.getInstallPackage();
    if (pkg != null) {
      String field = step.getApplyDriverPackage() != null ? "applyDriverPackage" : "installPackage";
      if (step.getApplyDriverPackage() != null && state.windowsApplied && pkg.getArgs() == null) {
        return stageDrivers(offer, i, step, state);
      }
      return installPackage(offer, i, field, pkg, vars);
    }
    if (step.getApplyWindowsSettings() != null) {
      return applyWindowsSettings(offer, i, step.getApplyWindowsSettings(), state);
    }
    if (step.getJoinDomain() != null) {
      return joinDomain(offer, i, step.getJoinDomain(), state);
    }
    if (step.getRunCommand() != null) {
      Step.RunCommand c = step.getRunCommand();
      Duration timeout =
          c.getTimeoutSeconds() == null
              ? DEFAULT_COMMAND_TIMEOUT
              : Duration.ofSeconds(c.getTimeoutSeconds());
      List<Integer> ok = c.getSuccessCodes() == null ? List.of(0) : c.getSuccessCodes();
      int code = command(Variables.substitute(c.getCommand(), vars), vars, timeout, ok, i);
      return "exit code " + code;
    }
    if (step.getSetVariable() != null) {
      String value = Variables.substitute(step.getSetVariable().getValue(), vars);
      vars.put(step.getSetVariable().getName(), value);
      return step.getSetVariable().getName() + " set";
    }
    if (step.getCaptureUserState() != null) {
      Path dir = userStateDir(step.getCaptureUserState(), vars, "captureUserState");
      long bytes = userState.capture(offer.name(), step.getCaptureUserState().getStoreKey(), dir);
      return "captured " + dir + " (" + bytes + " bytes) to the distribution point";
    }
    if (step.getRestoreUserState() != null) {
      Path dir = userStateDir(step.getRestoreUserState(), vars, "restoreUserState");
      long files = userState.restore(offer.name(), step.getRestoreUserState().getStoreKey(), dir);
      return "restored " + files + " files to " + dir;
    }
    if (step.getCaptureImage() != null) {
      return captureImage(offer, step.getCaptureImage(), state);
    }
    throw new StepFailed("this agent does not know the step's action");
  }

  private String applyImage(
      Policy.Offer offer, int i, Step.ApplyOperatingSystem apply, AgentState state)
      throws StepFailed, IOException, InterruptedException {
    Policy.ImageContent c = offer.image(i);
    if (c == null || !c.available()) {
      throw new StepFailed(
          "applyOperatingSystem.osImage: "
              + apply.getOsImage()
              + " is not available from this distribution point");
    }
    if (c.wim()) {
      return applyWindows(offer, i, apply, c, state);
    }
    Path target;
    long offset = 0;
    // Bytes the target holds from the offset, or -1 for a file that grows: where a compressed
    // image may be staged before it is expanded.
    long room;
    if (apply.getDestination() != null) {
      target = Path.of(Variables.substitute(apply.getDestination(), state.variables));
      room = room(target);
    } else if (c.wholeDisk()) {
      // A whole disk brings its own partition table: it goes over the disk a partitionDisk step
      // wrote, or the machine's disk.
      target =
          state.partitionDisk != null
              ? Path.of(state.partitionDisk)
              : disk(null, state.variables, "applyOperatingSystem.destination");
      fits(c, target);
      room = room(target);
    } else if (state.partitionDisk != null) {
      target = Path.of(state.partitionDisk);
      offset = state.partitionOffset;
      room = state.partitionLength;
      if (c.writtenBytes() > state.partitionLength) {
        throw new StepFailed(
            "applyOperatingSystem.osImage: "
                + c.osImage()
                + " is "
                + c.writtenBytes()
                + " bytes; the partition holds "
                + state.partitionLength);
      }
    } else {
      target = disk(null, state.variables, "applyOperatingSystem.destination");
      fits(c, target);
      room = room(target);
    }
    ImageDownload.Outcome outcome =
        fetchVerified(offer, c, target, offset, room, "applyOperatingSystem", c.osImage());
    String moved = "";
    if (c.wholeDisk() && offset == 0) {
      try {
        if (DiskLabel.moveGptBackupToEnd(target)) {
          moved = "; backup GPT moved to the disk's end";
        }
      } catch (IOException e) {
        throw new StepFailed(
            "applyOperatingSystem: " + c.osImage() + " written, but its GPT: " + e.getMessage());
      }
      BlockDevices.rereadPartitions(target);
    }
    report(
        offer,
        i,
        "running",
        String.format(
            Locale.ROOT,
            "%s: %s verified by %s (%d blocks by multicast, %d bytes by unicast)",
            apply.getOsImage(),
            c.osImage(),
            outcome.detail(),
            outcome.multicastBlocks(),
            outcome.unicastBytes()));
    return String.format(
        Locale.ROOT,
        "%s written to %s at %d, SHA-256 verified; route %s, %d blocks by multicast, %d bytes by"
            + " unicast%s",
        c.osImage(),
        target,
        offset,
        outcome.detail(),
        outcome.multicastBlocks(),
        outcome.unicastBytes(),
        moved);
  }

  /** A partitionDisk step with layout Windows: the partitions, and all but Windows formatted. */
  private String partitionWindows(Path disk, DiskLabel.Scheme scheme, AgentState state)
      throws StepFailed, IOException, InterruptedException {
    DiskLabel.WindowsLayout layout;
    try {
      layout = DiskLabel.writeWindows(disk, scheme);
    } catch (IOException e) {
      throw new StepFailed("partitionDisk.disk: " + e.getMessage());
    }
    BlockDevices.rereadPartitions(disk);
    String formatted;
    try {
      formatted = new WindowsImage(disk, layout).formatSupporting();
    } catch (IOException e) {
      throw new StepFailed("partitionDisk.layout: Windows: " + e.getMessage());
    }
    state.partitionDisk = disk.toString();
    state.partitionOffset = layout.windows().at().offset();
    state.partitionLength = layout.windows().at().length();
    state.windowsLayout = layout;
    state.windowsApplied = false;
    state.unattend = null;
    state.variables.put("OSD_DISK", disk.toString());
    return String.format(
        Locale.ROOT,
        "Windows layout (%s) on %s: Windows partition %d at %d (%d bytes); formatted %s",
        scheme,
        disk,
        layout.windows().number(),
        layout.windows().at().offset(),
        layout.windows().at().length(),
        formatted);
  }

  /**
   * Applies a Windows image file: staged in the Windows partition's tail and checked, applied with
   * wimlib, the tail given back, the boot files written from the image's own.
   */
  private String applyWindows(
      Policy.Offer offer,
      int i,
      Step.ApplyOperatingSystem apply,
      Policy.ImageContent c,
      AgentState state)
      throws StepFailed, IOException, InterruptedException {
    String field = "applyOperatingSystem.osImage: " + apply.getOsImage();
    if (state.windowsLayout == null) {
      throw new StepFailed(
          field
              + " is a Windows image (format Wim): a partitionDisk step with layout Windows"
              + " must come before it");
    }
    if (apply.getDestination() != null) {
      throw new StepFailed(
          "applyOperatingSystem.destination: a Windows image goes to the Windows layout's"
              + " partition; destination is for other formats");
    }
    Path disk = Path.of(state.partitionDisk);
    WindowsImage windows = new WindowsImage(disk, state.windowsLayout);
    // Room for the compressed file as well lets it come by multicast and expand in place.
    long stageBytes = c.writtenBytes() + (c.uncompressed() != null ? c.sizeBytes() : 0);
    Path staged;
    try {
      staged = windows.stage(stageBytes);
    } catch (IOException e) {
      throw new StepFailed(field + ": " + e.getMessage());
    }
    ImageDownload.Outcome outcome =
        fetchVerified(
            offer,
            c,
            staged,
            0,
            BlockDevices.deviceBytes(staged),
            "applyOperatingSystem",
            c.osImage());
    report(
        offer,
        i,
        "running",
        c.osImage() + " staged and verified; applying image " + c.imageIndex());
    String applied;
    try {
      applied = windows.apply(staged, c.imageIndex());
    } catch (IOException e) {
      throw new StepFailed(field + ": " + e.getMessage());
    }
    state.windowsApplied = true;
    state.unattend = new Unattend();
    return String.format(
        Locale.ROOT,
        "%s staged, SHA-256 verified (route %s, %d blocks by multicast, %d bytes by unicast); %s",
        c.osImage(),
        outcome.detail(),
        outcome.multicastBlocks(),
        outcome.unicastBytes(),
        applied);
  }

  /** Writes the Windows settings into the applied image's unattend.xml. */
  private String applyWindowsSettings(
      Policy.Offer offer, int i, Step.ApplyWindowsSettings settings, AgentState state)
      throws StepFailed, IOException, InterruptedException {
    if (!state.windowsApplied) {
      throw new StepFailed(
          "applyWindowsSettings: no Windows image (format Wim) was applied before this step");
    }
    Unattend answers = state.unattend;
    try {
      answers.computerName = Unattend.computerName(offer.machineName());
    } catch (IllegalArgumentException e) {
      throw new StepFailed("applyWindowsSettings: " + e.getMessage());
    }
    answers.timeZone = settings.getTimeZone();
    answers.locale = settings.getLocale();
    answers.administratorPasswordStep = settings.getAdministratorPassword() == null ? null : i;
    writeUnattend(offer, state);
    return "computer name "
        + answers.computerName
        + (answers.timeZone != null ? ", time zone " + answers.timeZone : "")
        + (answers.locale != null ? ", locale " + answers.locale : "")
        + (answers.administratorPasswordStep != null ? ", Administrator's password" : "")
        + " written to "
        + Unattend.PATH;
  }

  /** Writes the domain join, with its account from the distribution point, into unattend.xml. */
  private String joinDomain(Policy.Offer offer, int i, Step.JoinDomain join, AgentState state)
      throws StepFailed, IOException, InterruptedException {
    if (!state.windowsApplied) {
      throw new StepFailed(
          "joinDomain: no Windows image (format Wim) was applied before this step");
    }
    Unattend.DomainJoin d = new Unattend.DomainJoin();
    d.domain = join.getDomain();
    d.organizationalUnit = join.getOrganizationalUnit();
    d.step = i;
    state.unattend.domainJoin = d;
    writeUnattend(offer, state);
    return "joins "
        + d.domain
        + (d.organizationalUnit != null ? " in " + d.organizationalUnit : "")
        + " as Windows sets itself up; written to "
        + Unattend.PATH;
  }

  /**
   * An applyDriverPackage step after a Windows image: the package, a zip of driver folders, is
   * unpacked into the image, and unattend.xml has Windows install its drivers during setup.
   */
  private String stageDrivers(Policy.Offer offer, int i, Step step, AgentState state)
      throws StepFailed, IOException, InterruptedException {
    String fetched =
        installPackage(
            offer, i, "applyDriverPackage", step.getApplyDriverPackage(), state.variables);
    Path zip = Path.of(state.variables.get("OSD_PACKAGE"));
    String folder = Unattend.DRIVERS + "/" + (i + 1);
    String windowsPath = "C:\\" + folder.replace('/', '\\');
    long files;
    // One mount for both: the drivers, then the answer file that names them.
    try (WindowsImage.Mounted volume =
        new WindowsImage(Path.of(state.partitionDisk), state.windowsLayout).mountWindows()) {
      files =
          UserStateStore.unpack(
              "applyDriverPackage",
              zip,
              volume.dir().resolve(folder),
              Files.size(zip),
              UserStateStore.MAX_ENTRIES);
      if (!state.unattend.driverFolders.contains(windowsPath)) {
        state.unattend.driverFolders.add(windowsPath);
      }
      state.unattend.writeTo(volume.dir(), secretsOf(offer));
    } catch (IOException e) {
      throw new StepFailed("applyDriverPackage: " + e.getMessage());
    }
    return fetched
        + "; "
        + files
        + " files staged in "
        + windowsPath
        + ", named in "
        + Unattend.PATH;
  }

  private void writeUnattend(Policy.Offer offer, AgentState state)
      throws StepFailed, IOException, InterruptedException {
    try (WindowsImage.Mounted volume =
        new WindowsImage(Path.of(state.partitionDisk), state.windowsLayout).mountWindows()) {
      state.unattend.writeTo(volume.dir(), secretsOf(offer));
    } catch (IOException e) {
      throw new StepFailed("unattend.xml: " + e.getMessage());
    }
  }

  /**
   * A step's Secret values, asked from the distribution point with this machine's token each time
   * the answer file is written: they are kept nowhere else on the machine and never logged.
   */
  private Unattend.Secrets secretsOf(Policy.Offer offer) {
    return step -> dp.secrets(offer.name(), step);
  }

  /**
   * Reads the disk (or one partition), compresses it and uploads it to the distribution point,
   * which lists it in the deployment's status.
   */
  private String captureImage(Policy.Offer offer, Step.CaptureImage c, AgentState state)
      throws StepFailed, IOException, InterruptedException {
    Path disk =
        c.getDisk() != null
            ? Path.of(Variables.substitute(c.getDisk(), state.variables))
            : state.partitionDisk != null
                ? Path.of(state.partitionDisk)
                : disk(null, state.variables, "captureImage.disk");
    DiskCapture.Region region;
    try {
      region = DiskCapture.region(disk, c.getPartition());
    } catch (IOException e) {
      throw new StepFailed(
          (c.getPartition() != null ? "captureImage.partition: " : "captureImage.disk: ")
              + e.getMessage());
    }
    DiskCapture capture = new DiskCapture(dp.server(), identity, dp.tls(), dp::tokenOrNull);
    DiskCapture.Kept kept;
    try (ProgressTicker ticker =
        new ProgressTicker(
            offer.name(),
            c.getName(),
            () -> new ImageDownload.Progress(capture.progress.get(), region.length(), "capture"),
            progressReporter(offer))) {
      kept = capture.capture(offer.name(), c.getName(), region);
    } catch (IOException e) {
      throw new StepFailed("captureImage: " + region.what() + ": " + e.getMessage());
    }
    return String.format(
        Locale.ROOT,
        "captured %s (%d bytes, SHA-256 %s) as %s: %d bytes Zstd, SHA-256 %s, at %s",
        region.what(),
        kept.bytes(),
        kept.uncompressedSha256(),
        c.getName(),
        kept.sizeBytes(),
        kept.sha256(),
        kept.url());
  }

  private String installPackage(
      Policy.Offer offer, int i, String field, Step.Content pkg, Map<String, String> vars)
      throws StepFailed, IOException, InterruptedException {
    Path dir = options.stateDir().resolve("packages");
    Files.createDirectories(dir);
    Path file;
    String route;
    if (pkg.getOsImage() != null) {
      file = dir.resolve(i + "-" + pkg.getOsImage());
      route = fetchPackage(offer, i, field, pkg.getOsImage(), file);
    } else {
      URI url;
      try {
        url = URI.create(Variables.substitute(pkg.getUrl(), vars));
      } catch (IllegalArgumentException e) {
        throw new StepFailed(field + ".url: not a URL: " + pkg.getUrl());
      }
      String last =
          Path.of(url.getPath().isEmpty() ? "/package" : url.getPath()).getFileName().toString();
      file = dir.resolve(i + "-" + last.replaceAll("[^A-Za-z0-9._-]", "_"));
      route = "from " + url.getHost();
      if (!Files.exists(file)) {
        try {
          dp.download(url, pkg.getSha256(), file);
        } catch (IOException e) {
          throw new StepFailed(field + ".url: " + e.getMessage());
        }
      }
    }
    vars.put("OSD_PACKAGE", file.toString());
    if (pkg.getArgs() == null) {
      return "downloaded and verified " + file + " (" + route + ")";
    }
    file.toFile().setExecutable(true);
    List<String> command = new ArrayList<>();
    command.add(shellQuote(file.toString()));
    for (String a : pkg.getArgs()) {
      command.add(shellQuote(Variables.substitute(a, vars)));
    }
    int code = command(String.join(" ", command), vars, DEFAULT_COMMAND_TIMEOUT, List.of(0), i);
    return "ran " + file + ": exit code " + code;
  }

  /**
   * Fetches a package that is content of the distribution points as an image is fetched: by
   * multicast where the image allows it, the rest by unicast, checked against the OSImage's
   * SHA-256. A file already there and verified is kept (a step run again after a restart).
   */
  private String fetchPackage(Policy.Offer offer, int i, String field, String name, Path file)
      throws StepFailed, IOException, InterruptedException {
    Policy.ImageContent c = offer.image(i);
    if (c == null || !c.available()) {
      throw new StepFailed(
          field + ".osImage: " + name + " is not available from this distribution point");
    }
    if (Files.exists(file)
        && io.osdeploy.digest.Sha256.of(file).equalsIgnoreCase(c.writtenSha256())) {
      return "already here";
    }
    ImageDownload.Outcome outcome = fetchVerified(offer, c, file, 0, -1, field + ".osImage", name);
    return String.format(
        Locale.ROOT,
        "from the distribution point by %s: %d blocks by multicast, %d bytes by unicast",
        outcome.detail(),
        outcome.multicastBlocks(),
        outcome.unicastBytes());
  }

  /** The room a compressed image may use on a block device, or -1 for a file that grows. */
  private static long room(Path target) {
    long device = BlockDevices.deviceBytes(target);
    return device > 0 ? device : -1;
  }

  /**
   * Fetches an image or package the distribution point serves into {@code target} at {@code
   * offset}, by multicast where the content allows it and the rest by unicast, with progress shown;
   * fails the step, naming {@code field}, unless the bytes have the content's SHA-256 (both of what
   * travelled and of what was written, for a compressed image). {@code room} is how many bytes the
   * target holds from {@code offset}, or -1 for a file that grows.
   */
  private ImageDownload.Outcome fetchVerified(
      Policy.Offer offer,
      Policy.ImageContent c,
      Path target,
      long offset,
      long room,
      String field,
      String name)
      throws StepFailed, InterruptedException {
    ImageDownload.Outcome outcome;
    ImageDownload download = new ImageDownload(dp.tls(), dp::tokenOrNull);
    ImageDownload.Request request =
        new ImageDownload.Request(
            dp.server(),
            c.osImage(),
            identity.name(),
            target,
            offset,
            iface,
            c.multicast(),
            c.unicastUrl() == null,
            options.multicastTimeout(),
            c.sha256(),
            List.of(),
            options.retryFor());
    try (ProgressTicker ticker =
        new ProgressTicker(
            offer.name(), c.osImage(), download::progress, progressReporter(offer))) {
      if (c.uncompressed() == null) {
        outcome = download.fetch(request);
      } else {
        return expanded(c, field, name, download, request, room);
      }
    } catch (IOException e) {
      throw new StepFailed(field + ": " + name + ": " + e.getMessage());
    }
    if (!outcome.verified()) {
      throw new StepFailed(
          field
              + ": "
              + name
              + " not verified ("
              + outcome.detail()
              + "; SHA-256 "
              + outcome.sha256()
              + ", expected "
              + c.sha256()
              + ")");
    }
    return outcome;
  }

  /**
   * A compressed image fetched and expanded; fails the step unless what travelled and what was
   * written both have their SHA-256. The outcome's SHA-256 is of what was written.
   */
  private static ImageDownload.Outcome expanded(
      Policy.ImageContent c,
      String field,
      String name,
      ImageDownload download,
      ImageDownload.Request request,
      long room)
      throws IOException, InterruptedException, StepFailed {
    ImageDownload.Expanded e =
        download.fetchCompressed(
            request,
            new ImageDownload.Expansion(
                c.uncompressed().sha256(), c.uncompressed().sizeBytes(), c.sizeBytes(), room));
    ImageDownload.Outcome t = e.transfer();
    if (!t.verified()) {
      throw new StepFailed(
          String.format(
              "%s: %s not verified (%s; SHA-256 of the compressed bytes %s, expected %s)",
              field, name, t.detail(), t.sha256(), c.sha256()));
    }
    if (!e.verified()) {
      throw new StepFailed(
          String.format(
              "%s: %s expanded to %d bytes with SHA-256 %s, expected %d bytes with %s",
              field,
              name,
              e.bytes(),
              e.sha256(),
              c.uncompressed().sizeBytes(),
              c.uncompressed().sha256()));
    }
    String how =
        String.format(
            Locale.ROOT,
            "%s, Zstd %d -> %d bytes %s",
            t.detail(),
            c.sizeBytes(),
            e.bytes(),
            e.staged() ? "expanded from the target's free end" : "expanded as it streamed");
    return new ImageDownload.Outcome(
        true, e.sha256(), t.multicastBlocks(), t.unicastBytes(), how, t.unicastFrom());
  }

  /** Runs {@code line} with {@code /bin/sh -c}; its output goes to the state directory's logs. */
  private int command(
      String line, Map<String, String> vars, Duration timeout, List<Integer> ok, int step)
      throws StepFailed, IOException, InterruptedException {
    Path logs = options.stateDir().resolve("logs");
    Files.createDirectories(logs);
    Path out = logs.resolve("step-" + step + ".log");
    ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", line);
    pb.environment().putAll(vars);
    pb.directory(options.stateDir().toFile());
    pb.redirectErrorStream(true).redirectOutput(out.toFile());
    Process p = pb.start();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new StepFailed("timed out after " + timeout.toSeconds() + " s" + tail(out));
    }
    int code = p.exitValue();
    if (!ok.contains(code)) {
      throw new StepFailed("exit code " + code + tail(out));
    }
    return code;
  }

  private static String tail(Path log) throws IOException {
    String text = Files.readString(log).strip();
    if (text.isEmpty()) {
      return "";
    }
    return "; output: "
        + (text.length() > OUTPUT_TAIL ? "…" + text.substring(text.length() - OUTPUT_TAIL) : text);
  }

  private Path disk(String named, Map<String, String> vars, String field) throws StepFailed {
    if (named != null) {
      return Path.of(Variables.substitute(named, vars));
    }
    if (options.disk() != null) {
      return options.disk();
    }
    throw new StepFailed(field + ": no disk named here and the agent was given no --disk");
  }

  private Path userStateDir(Step.UserState s, Map<String, String> vars, String field)
      throws StepFailed {
    String path = s.getOptions() == null ? null : s.getOptions().get("path");
    if (path != null) {
      return Path.of(Variables.substitute(path, vars));
    }
    if (options.userStateDir() != null) {
      return options.userStateDir();
    }
    throw new StepFailed(
        field
            + ".options.path: no directory named here and the agent was given no"
            + " --user-state-dir");
  }

  private void report(Policy.Offer offer, int step, String state, String message)
      throws InterruptedException {
    try {
      dp.report(offer.name(), step, state, message);
    } catch (IOException e) {
      // Progress is for people watching; the deployment itself goes on.
      log.warn("progress report not delivered: {}", e.getMessage());
    }
  }

  /**
   * Sends each progress line of an image to the distribution point as a {@code running} report of
   * the current step, with the bytes written, the image's size and the rate: once, without retries,
   * since the next line follows in a few seconds.
   */
  private ProgressTicker.Reporter progressReporter(Policy.Offer offer) {
    return (p, bytesPerSecond, line) ->
        dp.progress(offer.name(), currentStep, line, p.bytes(), p.total(), bytesPerSecond);
  }

  private static String shellQuote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /** Fails the step before anything is written when the image is larger than the disk. */
  private static void fits(Policy.ImageContent c, Path disk) throws StepFailed {
    long capacity = BlockDevices.deviceBytes(disk);
    if (capacity > 0 && c.writtenBytes() > capacity) {
      throw new StepFailed(
          "applyOperatingSystem.osImage: "
              + c.osImage()
              + " is "
              + c.writtenBytes()
              + " bytes; the disk "
              + disk
              + " holds "
              + capacity);
    }
  }
}
