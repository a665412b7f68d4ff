package io.osdeploy.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * A Windows image file made here with wimlib from a Windows-shaped tree, applied by the agent's
 * Windows code to a loop device with the Windows layout (GPT and MBR), and read back with NTFS-3G's
 * and mtools' own readers: the applied files, the boot files, unattend.xml and staged drivers.
 */
class WindowsImageTest {
  private static final long MIB = 1 << 20;
  private static final Duration TOOL = Duration.ofMinutes(5);

  @TempDir Path dir;

  @Test
  void computerNamesWindowsCanTake() {
    assertEquals("DESK-01", Unattend.computerName("desk-01"));
    assertEquals("*", Unattend.computerName(null));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Unattend.computerName("berlin-desk-00017"));
    assertTrue(e.getMessage().contains("berlin-desk-00017"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Unattend.computerName("1234"));
  }

  @Test
  void answerFileNamesSettingsAndDrivers() throws Exception {
    Unattend u = new Unattend();
    u.computerName = "DESK-01";
    u.timeZone = "W. Europe Standard Time";
    u.locale = "de-DE";
    u.driverFolders.add("C:\\osdeploy\\Drivers\\3");
    Document doc = parse(u.xml(NO_SECRETS).getBytes(StandardCharsets.UTF_8));
    assertEquals("urn:schemas-microsoft-com:unattend", doc.getDocumentElement().getNamespaceURI());
    assertEquals("DESK-01", text(doc, "ComputerName"));
    assertEquals("W. Europe Standard Time", text(doc, "TimeZone"));
    assertEquals("de-DE", text(doc, "UserLocale"));
    assertEquals("de-DE", text(doc, "InputLocale"));
    assertEquals(
        "pnputil.exe /add-driver \"C:\\osdeploy\\Drivers\\3\\*.inf\" /subdirs /install",
        text(doc, "Path"));
    Element specialize = (Element) doc.getElementsByTagNameNS("*", "settings").item(0);
    assertEquals("specialize", specialize.getAttribute("pass"));

    Unattend bare = new Unattend();
    bare.computerName = "*";
    Document minimal = parse(bare.xml(NO_SECRETS).getBytes(StandardCharsets.UTF_8));
    assertEquals("*", text(minimal, "ComputerName"));
    assertEquals(0, minimal.getElementsByTagNameNS("*", "RunSynchronous").getLength());
    assertEquals(0, minimal.getElementsByTagNameNS("*", "UserLocale").getLength());
  }

  private static final Unattend.Secrets NO_SECRETS =
      step -> {
        throw new AssertionError("no step of these answers has secrets, asked for " + step);
      };

  @Test
  void answerFileSetsTheAdministratorPasswordAndJoinsTheDomainWithValuesAskedEachTime()
      throws Exception {
    Unattend u = new Unattend();
    u.computerName = "DESK-01";
    u.administratorPasswordStep = 3;
    u.domainJoin = new Unattend.DomainJoin();
    u.domainJoin.domain = "corp.example.com";
    u.domainJoin.organizationalUnit = "OU=Desks,DC=corp,DC=example,DC=com";
    u.domainJoin.step = 4;
    java.util.List<Integer> asked = new java.util.ArrayList<>();
    Unattend.Secrets secrets =
        step -> {
          asked.add(step);
          return step == 3
              ? java.util.Map.of("administratorPassword", "S3cret<&>")
              : java.util.Map.of("username", "CORP\\joiner", "password", "j0in&\"");
        };
    Document doc = parse(u.xml(secrets).getBytes(StandardCharsets.UTF_8));
    assertEquals(java.util.List.of(3, 4), asked);
    // Windows' obfuscation: Base64 of UTF-16LE password + "AdministratorPassword".
    String value = text(doc, "Value");
    assertEquals(
        "S3cret<&>AdministratorPassword",
        new String(java.util.Base64.getDecoder().decode(value), StandardCharsets.UTF_16LE));
    assertEquals("false", text(doc, "PlainText"));
    Element oobe = (Element) doc.getElementsByTagNameNS("*", "settings").item(1);
    assertEquals("oobeSystem", oobe.getAttribute("pass"));
    assertEquals(1, oobe.getElementsByTagNameNS("*", "AdministratorPassword").getLength());
    Element specialize = (Element) doc.getElementsByTagNameNS("*", "settings").item(0);
    assertEquals(1, specialize.getElementsByTagNameNS("*", "Identification").getLength());
    assertEquals("CORP", text(doc, "Domain"));
    assertEquals("joiner", text(doc, "Username"));
    assertEquals("j0in&\"", text(doc, "Password"));
    assertEquals("corp.example.com", text(doc, "JoinDomain"));
    assertEquals("OU=Desks,DC=corp,DC=example,DC=com", text(doc, "MachineObjectOU"));

    // account@domain names its domain as DOMAIN\account does; a bare name is in the joined one.
    Unattend upn = new Unattend();
    upn.domainJoin = u.domainJoin;
    Document other =
        parse(
            upn.xml(
                    step ->
                        java.util.Map.of("username", "joiner@emea.example.com", "password", "p"))
                .getBytes(StandardCharsets.UTF_8));
    assertEquals("emea.example.com", text(other, "Domain"));
    assertEquals("joiner", text(other, "Username"));
    Document bare =
        parse(
            upn.xml(step -> java.util.Map.of("username", "joiner", "password", "p"))
                .getBytes(StandardCharsets.UTF_8));
    assertEquals("corp.example.com", text(bare, "Domain"));
    // A control character cannot be in an answer file: the write fails, naming the value.
    java.io.IOException newline =
        assertThrows(
            java.io.IOException.class,
            () -> upn.xml(step -> java.util.Map.of("username", "joiner", "password", "p\n")));
    assertTrue(newline.getMessage().contains("password for step 5"), newline.getMessage());

    // The state the agent keeps names steps, never a value.
    String kept = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(u);
    assertTrue(!kept.contains("S3cret") && !kept.contains("j0in"), kept);

    // A value the distribution point did not hand fails the write, naming it.
    java.io.IOException missing =
        assertThrows(
            java.io.IOException.class,
            () ->
                u.xml(
                    step ->
                        step == 4
                            ? java.util.Map.of("username", "x", "password", "y")
                            : java.util.Map.of()));
    assertTrue(missing.getMessage().contains("administratorPassword"), missing.getMessage());

    // The file is removed once Windows setup has finished, after what the image already ran.
    Path root = Files.createDirectories(dir.resolve("volume"));
    Path script = root.resolve(Unattend.SETUP_COMPLETE);
    Files.createDirectories(script.getParent());
    Files.writeString(script, "echo vendor\r\n");
    u.writeTo(root, secrets);
    u.writeTo(root, secrets);
    assertEquals(
        "echo vendor\r\n" + Unattend.REMOVE_ANSWERS + "\r\n",
        Files.readString(script, StandardCharsets.ISO_8859_1));
  }

  @Test
  void uefiLayoutGetsImageIndexTwoBootFilesAnswersAndDrivers() throws Exception {
    Path wim = testImage();
    try (Loop loop = Loop.attach(sparseDisk(1600 * MIB))) {
      DiskLabel.WindowsLayout layout = DiskLabel.writeWindows(loop.device, DiskLabel.Scheme.GPT);
      WindowsImage windows = new WindowsImage(loop.device, layout, loop);
      windows.formatSupporting();
      long windowsBefore = BlockDevices.deviceBytes(loop.device(loop.device, 3));

      Path staged = windows.stage(Files.size(wim));
      assertTrue(BlockDevices.deviceBytes(staged) >= Files.size(wim));
      assertTrue(BlockDevices.deviceBytes(loop.device(loop.device, 3)) < windowsBefore);
      copy(wim, staged);
      String summary = windows.apply(staged, 2);
      assertTrue(summary.contains("EFI/Boot/bootx64.efi"), summary);

      // The staging partition is gone and the volume spans the whole Windows partition again.
      assertEquals(null, loop.device(loop.device, 5), "staging partition left behind");
      Path ntfs = loop.device(loop.device, 3);
      assertEquals(windowsBefore, BlockDevices.deviceBytes(ntfs));
      String info =
          WindowsImage.run(List.of("ntfsresize", "--info", "--force", ntfs.toString()), TOOL);
      java.util.regex.Matcher size =
          java.util.regex.Pattern.compile("Current volume size: (\\d+) bytes").matcher(info);
      assertTrue(size.find(), info);
      long grown = Long.parseLong(size.group(1));
      assertTrue(grown > windowsBefore - MIB && grown <= windowsBefore, info);

      // Image 2's files, not image 1's.
      assertEquals("image two\n", ntfscat(ntfs, "/Users/Public/which-image.txt"));
      assertArrayEquals(
          Files.readAllBytes(tree("two").resolve("Windows/System32/ntoskrnl.exe")),
          ntfscatBytes(ntfs, "/Windows/System32/ntoskrnl.exe"));

      // Boot files where bcdboot puts them, from the image's own.
      Path esp = loop.device(loop.device, 1);
      assertEquals("boot manager two\n", mtype(esp, "::/EFI/Boot/bootx64.efi"));
      assertEquals("boot manager two\n", mtype(esp, "::/EFI/Microsoft/Boot/bootmgfw.efi"));
      Path bcd = dir.resolve("BCD");
      WindowsImage.run(
          List.of("mcopy", "-i", esp.toString(), "::/EFI/Microsoft/Boot/BCD", bcd.toString()),
          TOOL);
      JsonNode table = sfdisk(loop.file);
      bootEntries(
          BootStoreReader.read(bcd),
          true,
          table.path("partitions").get(0).path("uuid").asText(),
          table.path("partitions").get(2).path("uuid").asText(),
          table.path("id").asText());
      assertEquals("mui two\n", mtype(esp, "::/EFI/Microsoft/Boot/en-US/bootmgfw.efi.mui"));
      assertEquals("font two\n", mtype(esp, "::/EFI/Microsoft/Boot/Fonts/segmono_boot.ttf"));

      // Answers and drivers, as the applyWindowsSettings and applyDriverPackage steps add them.
      Unattend answers = new Unattend();
      answers.computerName = "DESK-01";
      answers.timeZone = "UTC";
      answers.driverFolders.add("C:\\osdeploy\\Drivers\\4");
      Path zip = driverZip();
      try (WindowsImage.Mounted volume = windows.mountWindows()) {
        UserStateStore.unpack(
            "applyDriverPackage",
            zip,
            volume.dir().resolve(Unattend.DRIVERS + "/4"),
            Files.size(zip),
            UserStateStore.MAX_ENTRIES);
        answers.writeTo(volume.dir(), NO_SECRETS);
      }
      Document unattend = parse(ntfscatBytes(ntfs, "/Windows/Panther/unattend.xml"));
      assertEquals("DESK-01", text(unattend, "ComputerName"));
      assertEquals(
          "[Version]\nSignature=\"$Windows NT$\"\n",
          ntfscat(ntfs, "/osdeploy/Drivers/4/nic/nic.inf"));
      assertEquals("recovery", volumeLabel(loop.device(loop.device, 4)).toLowerCase());
    }
  }

  @Test
  void biosLayoutPutsBootmgrOnTheActiveSystemPartition() throws Exception {
    Path wim = testImage();
    try (Loop loop = Loop.attach(sparseDisk(1400 * MIB))) {
      DiskLabel.WindowsLayout layout = DiskLabel.writeWindows(loop.device, DiskLabel.Scheme.MBR);
      WindowsImage windows = new WindowsImage(loop.device, layout, loop);
      windows.formatSupporting();
      Path staged = windows.stage(Files.size(wim));
      copy(wim, staged);
      windows.apply(staged, 1);

      try (FileChannel ch = FileChannel.open(loop.device, StandardOpenOption.READ)) {
        java.nio.ByteBuffer mbr = java.nio.ByteBuffer.allocate(512);
        ch.read(mbr, 0);
        assertEquals((byte) 0x80, mbr.get(446), "system partition active");
        assertEquals(0, mbr.get(446 + 48 + 4), "no staging entry left");
        assertEquals((byte) 0x27, mbr.get(446 + 32 + 4), "recovery partition type");
      }
      Path system = loop.device(loop.device, 1);
      assertEquals("pcat one\n", ntfscat(system, "/bootmgr"));
      Path bcd = dir.resolve("BCD");
      Files.write(bcd, ntfscatBytes(system, "/Boot/BCD"));
      Map<String, String> store = BootStoreReader.read(bcd);
      String loader = "Objects\\" + store.get(MANAGER + "\\Elements\\23000003");
      assertEquals("\\Windows\\system32\\winload.exe", store.get(loader + "\\Elements\\12000002"));
      assertEquals(null, store.get(MANAGER + "\\Elements\\12000002"), "no EFI path under BIOS");
      java.nio.ByteBuffer device =
          java.nio.ByteBuffer.wrap(
                  Base64.getMimeDecoder().decode(store.get(loader + "\\Elements\\21000001")))
              .order(java.nio.ByteOrder.LITTLE_ENDIAN);
      assertEquals(88, device.capacity());
      assertEquals(6, device.getInt(16), "a partition");
      assertEquals(1, device.getInt(52), "on an MBR disk");
      assertEquals(layout.windows().at().offset(), device.getLong(32), "at the Windows partition");
      try (FileChannel ch = FileChannel.open(loop.device, StandardOpenOption.READ)) {
        java.nio.ByteBuffer mbr =
            java.nio.ByteBuffer.allocate(512).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        ch.read(mbr, 0);
        assertEquals(mbr.getInt(440), device.getInt(56), "of the disk with this signature");
      }
      assertEquals("memtest one\n", ntfscat(system, "/Boot/memtest.exe"));
      assertEquals(
          "image one\n", ntfscat(loop.device(loop.device, 2), "/Users/Public/which-image.txt"));
    }
  }

  @Test
  void anImageTooLargeToStageIsRefusedBeforeAnythingIsWritten() throws Exception {
    Path disk = sparseDisk(1400 * MIB);
    DiskLabel.WindowsLayout layout = DiskLabel.writeWindows(disk, DiskLabel.Scheme.GPT);
    IOException e =
        assertThrows(
            IOException.class,
            () -> DiskLabel.windowsStage(disk, layout, layout.windows().at().length()));
    assertTrue(e.getMessage().contains("too little to apply it to"), e.getMessage());
  }

  // --- a Windows-shaped image made with wimlib ---

  private Path tree(String which) {
    return dir.resolve("tree-" + which);
  }

  /** The test's Windows-shaped image file (boot-environment/windows-test-image.sh). */
  private Path testImage() throws Exception {
    requireTools();
    return Path.of(
        WindowsImage.run(
                List.of("bash", "../boot-environment/windows-test-image.sh", dir.toString()),
                Duration.ofMinutes(5))
            .strip());
  }

  private Path driverZip() throws IOException {
    Path zip = dir.resolve("drivers.zip");
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
      z.putNextEntry(new ZipEntry("nic/nic.inf"));
      z.write("[Version]\nSignature=\"$Windows NT$\"\n".getBytes(StandardCharsets.US_ASCII));
      z.closeEntry();
      z.putNextEntry(new ZipEntry("nic/nic.sys"));
      z.write(new byte[4096]);
      z.closeEntry();
    }
    return zip;
  }

  private static void write(Path root, String relative, String content) throws IOException {
    Path f = root.resolve(relative);
    Files.createDirectories(f.getParent());
    Files.writeString(f, content);
  }

  private Path sparseDisk(long bytes) throws IOException {
    Path disk = dir.resolve("disk-" + bytes + ".img");
    try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
      f.setLength(bytes);
    }
    return disk;
  }

  private static void copy(Path wim, Path device) throws IOException {
    try (OutputStream out = Files.newOutputStream(device, StandardOpenOption.WRITE)) {
      Files.copy(wim, out);
    }
    try (FileChannel ch = FileChannel.open(device, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  // --- reading back with tools that are not the agent's ---

  private static final String MANAGER = "Objects\\" + BootStore.BOOT_MANAGER;

  /**
   * The boot manager and its one loader in {@code store}, the devices naming the partitions with
   * these GUIDs (as sfdisk prints them) on the disk with {@code diskGuid}.
   */
  private static void bootEntries(
      Map<String, String> store,
      boolean uefi,
      String espGuid,
      String windowsGuid,
      String diskGuid) {
    assertTrue(store.containsKey(MANAGER + "\\Elements\\23000003"), "a default entry: " + store);
    String loader = "Objects\\" + store.get(MANAGER + "\\Elements\\23000003");
    assertEquals(
        store.get(MANAGER + "\\Elements\\23000003"),
        store.get(MANAGER + "\\Elements\\24000001"),
        "the display order lists the default, and only it");
    assertEquals(
        "\\EFI\\Microsoft\\Boot\\bootmgfw.efi", store.get(MANAGER + "\\Elements\\12000002"));
    assertEquals(Integer.toString(0x10100002), store.get(MANAGER + "\\Description\\Type"));
    assertEquals(Integer.toString(0x10200003), store.get(loader + "\\Description\\Type"));
    assertEquals("\\Windows\\system32\\winload.efi", store.get(loader + "\\Elements\\12000002"));
    assertEquals("\\Windows", store.get(loader + "\\Elements\\22000002"));
    // The template's settings objects are kept and inherited.
    assertEquals(
        "{" + "6efb52bf-1766-41db-a6b3-0ee5eff72bd7" + "}",
        store.get(loader + "\\Elements\\14000006"));
    assertEquals(
        Integer.toString(0x20200003),
        store.get("Objects\\" + BootStore.BOOT_LOADER_SETTINGS + "\\Description\\Type"));
    for (String element : List.of("11000001", "21000001")) {
      assertDevice(store.get(loader + "\\Elements\\" + element), windowsGuid, diskGuid);
    }
    assertDevice(store.get(MANAGER + "\\Elements\\11000001"), espGuid, diskGuid);
  }

  private static void assertDevice(String base64, String partitionGuid, String diskGuid) {
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.wrap(Base64.getMimeDecoder().decode(base64))
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    assertEquals(88, b.capacity());
    assertEquals(6, b.getInt(16), "a partition");
    assertEquals(0x48, b.getInt(24));
    assertEquals(0, b.getInt(52), "on a GPT disk");
    assertEquals(partitionGuid.toLowerCase(), mixedEndianGuid(b, 32));
    assertEquals(diskGuid.toLowerCase(), mixedEndianGuid(b, 56));
  }

  /** A GUID stored as Windows stores it: the first three fields little-endian. */
  private static String mixedEndianGuid(java.nio.ByteBuffer b, int at) {
    long hi =
        ((b.getInt(at) & 0xFFFFFFFFL) << 32)
            | ((b.getShort(at + 4) & 0xFFFFL) << 16)
            | (b.getShort(at + 6) & 0xFFFFL);
    long lo = java.nio.ByteBuffer.wrap(b.array(), at + 8, 8).getLong();
    return new java.util.UUID(hi, lo).toString();
  }

  private static JsonNode sfdisk(Path disk) throws Exception {
    return new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(WindowsImage.run(List.of("sfdisk", "--json", disk.toString()), TOOL))
        .path("partitiontable");
  }

  private static String ntfscat(Path device, String file) throws Exception {
    return new String(ntfscatBytes(device, file), StandardCharsets.UTF_8);
  }

  private static byte[] ntfscatBytes(Path device, String file) throws Exception {
    Process p =
        new ProcessBuilder("ntfscat", "--force", device.toString(), file)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    byte[] out = p.getInputStream().readAllBytes();
    assertEquals(0, p.waitFor(), "ntfscat " + device + " " + file);
    return out;
  }

  private static String mtype(Path device, String file) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder("mtype", "-i", device.toString(), file)
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("MTOOLS_SKIP_CHECK", "1");
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertEquals(0, p.waitFor(), "mtype " + device + " " + file);
    return new String(out, StandardCharsets.UTF_8);
  }

  private static String volumeLabel(Path device) throws Exception {
    return WindowsImage.run(List.of("ntfslabel", "--force", device.toString()), TOOL).strip();
  }

  private static Document parse(byte[] xml) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    return f.newDocumentBuilder().parse(new java.io.ByteArrayInputStream(xml));
  }

  private static String text(Document doc, String element) {
    return doc.getElementsByTagNameNS("*", element).item(0).getTextContent();
  }

  // --- prerequisites: root for loop devices, and the tools a boot environment carries ---

  private static void requireTools() {
    List<String> missing = new ArrayList<>();
    for (String tool :
        List.of(
            "losetup",
            "wimlib-imagex",
            "mkntfs",
            "ntfsresize",
            "ntfs-3g",
            "ntfscat",
            "mkfs.vfat",
            "mcopy",
            "mtype",
            "hivexsh",
            "hivexml",
            "python3",
            "sfdisk")) {
      if (!onPath(tool)) {
        missing.add(tool);
      }
    }
    boolean root = "root".equals(System.getProperty("user.name"));
    boolean fuse = Files.exists(Path.of("/dev/fuse"));
    String what =
        (root ? "" : "root (loop devices) ")
            + (fuse ? "" : "/dev/fuse ")
            + (missing.isEmpty()
                ? ""
                : String.join(" ", missing)
                    + " (apt-get install wimtools ntfs-3g dosfstools mtools libhivex-bin fdisk)");
    if (what.isBlank()) {
      return;
    }
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new AssertionError("missing prerequisite under CI: " + what);
    }
    Assumptions.abort("skipped, missing prerequisite: " + what);
  }

  private static boolean onPath(String command) {
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
    for (String d : path.split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, command))) {
        return true;
      }
    }
    return false;
  }

  /**
   * A file attached as a loop device, and its partitions as further loop devices over the extents
   * the partition table gives them now: the same bytes a kernel's partition devices show, on a
   * kernel (this one may be such) that does not scan a loop device's partitions.
   */
  private static final class Loop implements AutoCloseable, WindowsImage.PartitionDevices {
    final Path device;
    final Path file;
    private final java.util.Map<String, Path> partitions = new java.util.HashMap<>();

    private Loop(Path file, Path device) {
      this.file = file;
      this.device = device;
    }

    static Loop attach(Path file) throws Exception {
      String device =
          WindowsImage.run(List.of("losetup", "--find", "--show", file.toString()), TOOL).strip();
      return new Loop(file, Path.of(device));
    }

    @Override
    public Path device(Path disk, int number) throws IOException, InterruptedException {
      DiskLabel.Partition p;
      try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
        p = DiskLabel.partition(ch, number);
      }
      if (p == null) {
        return null;
      }
      String key = number + "@" + p.offset() + "+" + p.length();
      Path known = partitions.get(key);
      if (known != null) {
        return known;
      }
      Path loop =
          Path.of(
              WindowsImage.run(
                      List.of(
                          "losetup",
                          "--find",
                          "--show",
                          "--offset",
                          Long.toString(p.offset()),
                          "--sizelimit",
                          Long.toString(p.length()),
                          file.toString()),
                      TOOL)
                  .strip());
      partitions.put(key, loop);
      return loop;
    }

    @Override
    public void close() throws Exception {
      for (Path p : partitions.values()) {
        WindowsImage.run(List.of("losetup", "--detach", p.toString()), TOOL);
      }
      WindowsImage.run(List.of("losetup", "--detach", device.toString()), TOOL);
    }
  }
}
