package io.osdeploy.operator.media;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.regex.Pattern;

/**
 * Writes a small FAT12 file system image, the EFI system partition of a boot media: UEFI firmware
 * starts {@code /EFI/BOOT/BOOTX64.EFI} from it. The same files give the same bytes: every timestamp
 * is {@link MediaBuilder#EPOCH}, the volume serial number is fixed, and entries follow the order of
 * the paths. Names that are not upper-case 8.3 names get long (VFAT) names, so {@code
 * autoexec.ipxe} is found under that name.
 */
final class FatImage {
  private static final int SECTOR = 512;
  private static final int SECTORS_PER_CLUSTER = 4;
  private static final int CLUSTER = SECTOR * SECTORS_PER_CLUSTER;
  private static final int ROOT_ENTRIES = 64;
  private static final int ENTRY = 32;

  /** FAT12 holds at most 4084 clusters; more and a reader takes the volume for FAT16. */
  private static final int MAX_CLUSTERS = 4084;

  /** Free clusters left in the image; the media never writes to it. */
  private static final int SPARE_CLUSTERS = 8;

  private static final int VOLUME_SERIAL = 0x0D5E_0B00;
  private static final byte ATTR_DIRECTORY = 0x10;
  private static final byte ATTR_ARCHIVE = 0x20;
  private static final byte ATTR_VOLUME_ID = 0x08;
  private static final byte ATTR_LONG_NAME = 0x0F;

  private static final Pattern SHORT_NAME =
      Pattern.compile("[A-Z0-9_$~!#%&@^-]{1,8}(\\.[A-Z0-9_$~!#%&@^-]{1,3})?");

  /** FAT date of {@link MediaBuilder#EPOCH}, 2020-01-01: years since 1980, month, day. */
  private static final int DATE = ((2020 - 1980) << 9) | (1 << 5) | 1;

  private FatImage() {}

  /**
   * The image holding {@code files}, keyed by path ({@code EFI/BOOT/BOOTX64.EFI}); directories are
   * made as the paths need them.
   */
  static byte[] of(SortedMap<String, byte[]> files) {
    Directory root = new Directory(null);
    for (Map.Entry<String, byte[]> file : files.entrySet()) {
      String[] parts = file.getKey().split("/");
      Directory dir = root;
      for (int i = 0; i < parts.length - 1; i++) {
        dir = dir.subdirectory(parts[i]);
      }
      dir.add(parts[parts.length - 1], file.getValue());
    }

    List<Node> order = new ArrayList<>();
    root.collect(order);
    int clusters = SPARE_CLUSTERS;
    for (Node node : order) {
      clusters += node.clusters();
    }
    if (clusters > MAX_CLUSTERS) {
      throw new IllegalArgumentException(
          "EFI system partition: " + clusters * CLUSTER + " bytes do not fit in FAT12");
    }
    int fatSectors = ceil((clusters + 2) * 3 / 2 + 1, SECTOR);
    int rootSectors = ROOT_ENTRIES * ENTRY / SECTOR;
    int dataStart = 1 + 2 * fatSectors + rootSectors;
    int totalSectors = dataStart + clusters * SECTORS_PER_CLUSTER;

    int next = 2;
    for (Node node : order) {
      node.firstCluster = node.clusters() == 0 ? 0 : next;
      next += node.clusters();
    }

    ByteBuffer image = ByteBuffer.allocate(totalSectors * SECTOR).order(ByteOrder.LITTLE_ENDIAN);
    bootSector(image, totalSectors, fatSectors);
    byte[] fat = new byte[fatSectors * SECTOR];
    setFat(fat, 0, 0xFF8);
    setFat(fat, 1, 0xFFF);
    for (Node node : order) {
      for (int i = 0; i < node.clusters(); i++) {
        int cluster = node.firstCluster + i;
        setFat(fat, cluster, i + 1 < node.clusters() ? cluster + 1 : 0xFFF);
      }
    }
    image.put(SECTOR, fat);
    image.put(SECTOR + fat.length, fat);

    ByteBuffer rootDir = image.slice(SECTOR * (1 + 2 * fatSectors), rootSectors * SECTOR);
    rootDir.order(ByteOrder.LITTLE_ENDIAN);
    if (root.entries() - 1 > ROOT_ENTRIES) { // the root has a label instead of . and ..
      throw new IllegalArgumentException("EFI system partition: too many files in its root");
    }
    shortEntry(rootDir, "OSDEPLOY   ".getBytes(StandardCharsets.US_ASCII), ATTR_VOLUME_ID, 0, 0);
    root.writeEntries(rootDir);
    for (Node node : order) {
      ByteBuffer data =
          image.slice(
              (dataStart + (node.firstCluster - 2) * SECTORS_PER_CLUSTER) * SECTOR,
              node.clusters() * CLUSTER);
      data.order(ByteOrder.LITTLE_ENDIAN);
      if (node instanceof Directory dir) {
        shortEntry(data, dotName("."), ATTR_DIRECTORY, dir.firstCluster, 0);
        shortEntry(data, dotName(".."), ATTR_DIRECTORY, dir.parent.firstCluster, 0);
        dir.writeEntries(data);
      } else {
        data.put(((File) node).content);
      }
    }
    return image.array();
  }

  private static void bootSector(ByteBuffer image, int totalSectors, int fatSectors) {
    image.put(0, new byte[] {(byte) 0xEB, 0x3C, (byte) 0x90});
    image.put(3, "OSDEPLOY".getBytes(StandardCharsets.US_ASCII));
    image.putShort(11, (short) SECTOR);
    image.put(13, (byte) SECTORS_PER_CLUSTER);
    image.putShort(14, (short) 1); // reserved sectors: the boot sector
    image.put(16, (byte) 2); // FATs
    image.putShort(17, (short) ROOT_ENTRIES);
    image.putShort(19, (short) totalSectors); // under 65536 sectors: FAT12 stays below 32 MiB
    image.put(21, (byte) 0xF8); // fixed disk
    image.putShort(22, (short) fatSectors);
    image.putShort(24, (short) 32); // sectors per track
    image.putShort(26, (short) 64); // heads
    image.put(36, (byte) 0x80); // drive number
    image.put(38, (byte) 0x29); // extended boot signature: serial, label and type follow
    image.putInt(39, VOLUME_SERIAL);
    image.put(43, "OSDEPLOY   ".getBytes(StandardCharsets.US_ASCII));
    image.put(54, "FAT12   ".getBytes(StandardCharsets.US_ASCII));
    image.put(510, (byte) 0x55);
    image.put(511, (byte) 0xAA);
  }

  private static void setFat(byte[] fat, int cluster, int value) {
    int at = cluster * 3 / 2;
    if ((cluster & 1) == 0) {
      fat[at] = (byte) value;
      fat[at + 1] = (byte) ((fat[at + 1] & 0xF0) | ((value >> 8) & 0x0F));
    } else {
      fat[at] = (byte) ((fat[at] & 0x0F) | ((value << 4) & 0xF0));
      fat[at + 1] = (byte) (value >> 4);
    }
  }

  private static void shortEntry(
      ByteBuffer dir, byte[] name, byte attributes, int firstCluster, int size) {
    int at = dir.position();
    dir.put(name);
    dir.put(attributes);
    dir.put(new byte[2]); // reserved, creation time tenths
    dir.putShort((short) 0); // creation time
    dir.putShort((short) DATE); // creation date
    dir.putShort((short) DATE); // last access date
    dir.putShort((short) 0); // high cluster word: always 0 in FAT12
    dir.putShort((short) 0); // write time
    dir.putShort((short) DATE); // write date
    dir.putShort((short) firstCluster);
    dir.putInt(size);
    dir.position(at + ENTRY);
  }

  private static byte[] dotName(String dots) {
    byte[] name = "           ".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(dots.getBytes(StandardCharsets.US_ASCII), 0, name, 0, dots.length());
    return name;
  }

  private static int ceil(int value, int unit) {
    return (value + unit - 1) / unit;
  }

  private abstract static class Node {
    String name;
    byte[] shortName;
    int firstCluster;

    abstract int clusters();

    abstract int size();

    abstract byte attributes();
  }

  private static final class File extends Node {
    final byte[] content;

    File(byte[] content) {
      this.content = content;
    }

    @Override
    int clusters() {
      return ceil(content.length, CLUSTER);
    }

    @Override
    int size() {
      return content.length;
    }

    @Override
    byte attributes() {
      return ATTR_ARCHIVE;
    }
  }

  private static final class Directory extends Node {
    final Directory parent;
    final Map<String, Node> children = new LinkedHashMap<>();
    private final Set<String> shortNames = new HashSet<>();

    Directory(Directory parent) {
      this.parent = parent;
    }

    Directory subdirectory(String childName) {
      Node child = children.get(childName);
      if (child == null) {
        Directory dir = new Directory(this);
        name(dir, childName);
        return dir;
      }
      if (child instanceof Directory dir) {
        return dir;
      }
      throw new IllegalArgumentException(childName + " is a file and a directory");
    }

    void add(String fileName, byte[] content) {
      if (children.containsKey(fileName)) {
        throw new IllegalArgumentException(fileName + " given twice");
      }
      name(new File(content), fileName);
    }

    private void name(Node node, String childName) {
      node.name = childName;
      node.shortName = shortName(childName);
      if (!shortNames.add(new String(node.shortName, StandardCharsets.US_ASCII))) {
        throw new IllegalArgumentException(childName + ": its 8.3 name is taken");
      }
      children.put(childName, node);
    }

    void collect(List<Node> order) {
      if (parent != null) {
        order.add(this);
      }
      for (Node child : children.values()) {
        if (child instanceof Directory dir) {
          dir.collect(order);
        } else {
          order.add(child);
        }
      }
    }

    /** Directory entries, with . and .. and the long names' entries. */
    int entries() {
      int entries = 2;
      for (Node child : children.values()) {
        entries += 1 + longEntries(child.name);
      }
      return entries;
    }

    /** A subdirectory takes one cluster (the root's entries live outside the data area). */
    @Override
    int clusters() {
      if (entries() * ENTRY > CLUSTER) {
        throw new IllegalArgumentException(name + ": too many files for one directory cluster");
      }
      return 1;
    }

    @Override
    int size() {
      return 0;
    }

    @Override
    byte attributes() {
      return ATTR_DIRECTORY;
    }

    void writeEntries(ByteBuffer dir) {
      for (Node child : children.values()) {
        writeLongName(dir, child.name, child.shortName);
        shortEntry(dir, child.shortName, child.attributes(), child.firstCluster, child.size());
      }
    }
  }

  /** The 8.3 name: the name itself when it is one, else {@code BASE~1.EXT}. */
  private static byte[] shortName(String name) {
    String upper = name.toUpperCase(Locale.ROOT);
    int dot = upper.lastIndexOf('.');
    String base = dot < 0 ? upper : upper.substring(0, dot);
    String ext = dot < 0 ? "" : upper.substring(dot + 1);
    if (!SHORT_NAME.matcher(name).matches()) {
      base = base.replaceAll("[^A-Z0-9_]", "");
      base = base.substring(0, Math.min(6, base.length())) + "~1";
      ext = ext.replaceAll("[^A-Z0-9_]", "");
      ext = ext.substring(0, Math.min(3, ext.length()));
    }
    byte[] shortName = "           ".getBytes(StandardCharsets.US_ASCII);
    byte[] b = base.getBytes(StandardCharsets.US_ASCII);
    byte[] e = ext.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, shortName, 0, b.length);
    System.arraycopy(e, 0, shortName, 8, e.length);
    return shortName;
  }

  private static int longEntries(String name) {
    return SHORT_NAME.matcher(name).matches() ? 0 : ceil(name.length(), 13);
  }

  /** VFAT long name entries, last part first, each carrying the short name's checksum. */
  private static void writeLongName(ByteBuffer dir, String name, byte[] shortName) {
    int count = longEntries(name);
    int checksum = 0;
    for (byte b : shortName) {
      checksum = (((checksum & 1) << 7) + ((checksum & 0xFF) >> 1) + (b & 0xFF)) & 0xFF;
    }
    for (int part = count; part >= 1; part--) {
      int at = dir.position();
      dir.put((byte) (part == count ? part | 0x40 : part));
      char[] chars = new char[13];
      for (int i = 0; i < 13; i++) {
        int index = (part - 1) * 13 + i;
        // After the name: one NUL, then 0xFFFF to the end of the entry.
        chars[i] =
            index < name.length() ? name.charAt(index) : index == name.length() ? 0 : '\uFFFF';
      }
      for (int i = 0; i < 5; i++) {
        dir.putShort((short) chars[i]);
      }
      dir.put(ATTR_LONG_NAME);
      dir.put((byte) 0);
      dir.put((byte) checksum);
      for (int i = 5; i < 11; i++) {
        dir.putShort((short) chars[i]);
      }
      dir.putShort((short) 0);
      for (int i = 11; i < 13; i++) {
        dir.putShort((short) chars[i]);
      }
      dir.position(at + ENTRY);
    }
  }
}
