package io.osdeploy.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Adds to a Boot Configuration Data store (a registry hive; the image's {@code BCD-Template}) the
 * two entries {@code bcdboot} adds: the Windows Boot Manager, whose default and only entry is a
 * Windows Boot Loader on the Windows partition. The hive is read and written with {@code hivexsh}
 * (Debian's libhivex-bin); objects the template holds are kept, and the settings objects it holds
 * are inherited as bcdboot has them inherited.
 */
final class BootStore {
  static final String BOOT_MANAGER = "{9dea862c-5cdd-4e70-acc1-f32b344d4795}";
  static final String GLOBAL_SETTINGS = "{7ea2e1ac-2e61-4728-aaa3-896d9d0a9f0e}";
  static final String BOOT_LOADER_SETTINGS = "{6efb52bf-1766-41db-a6b3-0ee5eff72bd7}";

  private static final Duration TOOL = Duration.ofMinutes(2);

  /**
   * A partition as a BCD device element names it: for GPT the disk's and the partition's GUIDs as
   * the table stores them; for MBR the disk signature and the partition's byte offset.
   */
  record Device(boolean gpt, byte[] disk, byte[] partition) {
    /** The 88-byte value of a device element (type 6, partition). */
    byte[] element() {
      ByteBuffer b = ByteBuffer.allocate(88).order(ByteOrder.LITTLE_ENDIAN);
      b.putInt(16, 6); // a partition
      b.putInt(24, 0x48); // the size of what follows the leading GUID, less its own 16 bytes
      b.put(32, partition);
      b.putInt(52, gpt ? 0 : 1);
      b.put(56, disk);
      return b.array();
    }
  }

  private BootStore() {}

  /**
   * Writes the entries into {@code store}: UEFI ({@code uefi}) has the boot manager at {@code
   * \EFI\Microsoft\Boot\bootmgfw.efi} on {@code system} and the loader {@code winload.efi}; BIOS
   * has the loader {@code winload.exe}. Returns the loader entry's GUID.
   */
  static String write(Path store, boolean uefi, Device system, Device windows, String description)
      throws IOException, InterruptedException {
    Set<String> keys = keys(store);
    String loader = "{" + UUID.randomUUID() + "}";
    Map<String, String> manager = new LinkedHashMap<>();
    manager.put("11000001", binary(system.element()));
    if (uefi) {
      manager.put("12000002", string("\\EFI\\Microsoft\\Boot\\bootmgfw.efi"));
    }
    manager.put("12000004", string("Windows Boot Manager"));
    manager.put("12000005", string("en-US"));
    if (keys.contains("Objects\\" + GLOBAL_SETTINGS)) {
      manager.put("14000006", objects(GLOBAL_SETTINGS));
    }
    manager.put("23000003", string(loader));
    manager.put("24000001", objects(loader));
    manager.put("25000004", integer(30));

    Map<String, String> os = new LinkedHashMap<>();
    os.put("11000001", binary(windows.element()));
    os.put("12000002", string("\\Windows\\system32\\winload." + (uefi ? "efi" : "exe")));
    os.put("12000004", string(description));
    os.put("12000005", string("en-US"));
    if (keys.contains("Objects\\" + BOOT_LOADER_SETTINGS)) {
      os.put("14000006", objects(BOOT_LOADER_SETTINGS));
    }
    if (uefi) {
      os.put("16000060", binary(new byte[] {1})); // isolated context, as bcdboot sets it
    }
    os.put("21000001", binary(windows.element()));
    os.put("22000002", string("\\Windows"));
    os.put("25000020", integer(0)); // no-execute: opt in
    os.put("250000c2", integer(1)); // the standard boot menu

    List<String> script = new ArrayList<>();
    if (!keys.contains("Objects")) {
      script.add("add Objects");
    }
    script.add("cd \\Objects");
    object(script, keys, BOOT_MANAGER, 0x10100002, manager);
    object(script, keys, loader, 0x10200003, os);
    script.add("commit");
    Path file = Files.createTempFile("osdeploy-bcd-", ".hivexsh");
    try {
      Files.write(file, script, StandardCharsets.US_ASCII);
      WindowsImage.run(List.of("hivexsh", "-w", "-f", file.toString(), store.toString()), TOOL);
    } finally {
      Files.deleteIfExists(file);
    }
    return loader;
  }

  private static void object(
      List<String> script, Set<String> keys, String guid, int type, Map<String, String> elements) {
    String at = "Objects\\" + guid;
    if (!keys.contains(at)) {
      script.add("add " + guid);
    }
    script.add("cd " + guid);
    if (!keys.contains(at + "\\Description")) {
      script.add("add Description");
    }
    script.addAll(
        List.of(
            "cd Description", "setval 1", "Type", "dword:0x" + Integer.toHexString(type), "cd .."));
    if (!keys.contains(at + "\\Elements")) {
      script.add("add Elements");
    }
    script.add("cd Elements");
    for (Map.Entry<String, String> e : elements.entrySet()) {
      if (!keys.contains(at + "\\Elements\\" + e.getKey())) {
        script.add("add " + e.getKey());
      }
      script.addAll(List.of("cd " + e.getKey(), "setval 1", "Element", e.getValue(), "cd .."));
    }
    script.add("cd ..");
    script.add("cd ..");
  }

  /**
   * The keys of the hive this writer may add to, as paths below its root: the root's own, {@code
   * Objects\{...}}, and the boot manager's with its elements. Listed with hivexsh's {@code ls}, one
   * key at a time.
   */
  static Set<String> keys(Path store) throws IOException, InterruptedException {
    Set<String> keys = new HashSet<>();
    List<String> root = list(store, "");
    keys.addAll(root);
    if (root.contains("Objects")) {
      for (String object : list(store, "Objects")) {
        keys.add("Objects\\" + object);
      }
      String manager = "Objects\\" + BOOT_MANAGER;
      if (keys.contains(manager)) {
        for (String key : list(store, manager)) {
          keys.add(manager + "\\" + key);
        }
        if (keys.contains(manager + "\\Elements")) {
          for (String element : list(store, manager + "\\Elements")) {
            keys.add(manager + "\\Elements\\" + element);
          }
        }
      }
    }
    return keys;
  }

  /** The subkeys of the key at {@code path} (below the root; "" for the root). */
  private static List<String> list(Path store, String path)
      throws IOException, InterruptedException {
    Path script = Files.createTempFile("osdeploy-bcd-", ".hivexsh");
    try {
      Files.write(
          script,
          path.isEmpty() ? List.of("ls") : List.of("cd \\" + path, "ls"),
          StandardCharsets.US_ASCII);
      return WindowsImage.run(List.of("hivexsh", "-f", script.toString(), store.toString()), TOOL)
          .lines()
          .map(String::strip)
          .filter(l -> !l.isEmpty())
          .toList();
    } finally {
      Files.deleteIfExists(script);
    }
  }

  private static String string(String s) {
    return "string:" + s;
  }

  /** REG_MULTI_SZ of object GUIDs. */
  private static String objects(String... guids) {
    StringBuilder utf16 = new StringBuilder();
    for (String g : guids) {
      utf16.append(g).append('\0');
    }
    utf16.append('\0');
    return "hex:7:" + hex(utf16.toString().getBytes(StandardCharsets.UTF_16LE));
  }

  /** An integer element: eight bytes, little-endian. */
  private static String integer(long value) {
    return binary(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
  }

  private static String binary(byte[] bytes) {
    return "hex:3:" + hex(bytes);
  }

  private static String hex(byte[] bytes) {
    return HexFormat.ofDelimiter(",").formatHex(bytes);
  }
}
