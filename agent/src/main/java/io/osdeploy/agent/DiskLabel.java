package io.osdeploy.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32;

/**
 * Writes a new partition table, GPT or MBR, with one partition from 1 MiB to the end of the disk:
 * the partition an operating-system image is applied to. Works on a block device or on a file
 * standing in for one; 512-byte sectors. The first and last MiB are cleared first, so no old table
 * or file-system signature survives.
 */
final class DiskLabel {
  static final int SECTOR = 512;
  static final long FIRST_LBA = 2048;
  private static final long MIB = 1 << 20;
  private static final int GPT_ENTRIES = 128;
  private static final int GPT_ENTRY_SIZE = 128;
  private static final int GPT_ENTRY_SECTORS = GPT_ENTRIES * GPT_ENTRY_SIZE / SECTOR;

  /** The "Linux filesystem data" partition type: an image's own file system decides the rest. */
  static final UUID LINUX_DATA = UUID.fromString("0fc63daf-8483-4772-8e79-3d69d8477de4");

  /** The EFI system partition's type. */
  static final UUID EFI_SYSTEM = UUID.fromString("c12a7328-f81f-11d2-ba4b-00a0c93ec93b");

  /** The EFI system partition of the UEFI layout: 260 MiB, the size common installers use. */
  static final long ESP_BYTES = 260 * (1L << 20);

  /** Microsoft's basic data partition: the Windows partition. */
  static final UUID BASIC_DATA = UUID.fromString("ebd0a0a2-b9e5-4433-87c0-68b6b72699c7");

  /** The Microsoft reserved partition (MSR). */
  static final UUID MICROSOFT_RESERVED = UUID.fromString("e3c9e316-0b5c-4db8-817d-f92df00215ae");

  /** The Windows recovery environment's partition. */
  static final UUID WINDOWS_RECOVERY = UUID.fromString("de94bba4-06d1-4d40-a16a-bfd50179d6ac");

  /** GPT attributes of the recovery partition: required by the platform, no drive letter. */
  static final long RECOVERY_ATTRIBUTES = 0x8000_0000_0000_0001L;

  static final long MSR_BYTES = 16 * MIB;
  static final long RECOVERY_BYTES = 1024 * MIB;
  static final long MBR_SYSTEM_BYTES = 100 * MIB;

  enum Scheme {
    GPT,
    MBR
  }

  /**
   * The partitions of the Windows layout, each with the number the table gives it (1 is the first):
   * {@code boot} is the EFI system partition (GPT) or the active system partition (MBR).
   */
  record WindowsLayout(
      Scheme scheme, Numbered boot, Numbered windows, Numbered recovery, int stageNumber) {}

  /** A partition and its number in the table. */
  record Numbered(int number, Partition at) {}

  /**
   * Writes the layout Microsoft recommends for Windows, as {@link #write(Path, Scheme)} writes its
   * one partition. GPT: an EFI system partition of {@link #ESP_BYTES}, a Microsoft reserved
   * partition of 16 MiB, the Windows partition, and a recovery partition of 1 GiB ending the disk.
   * MBR: an active system partition of 100 MiB, the Windows partition, and the recovery partition
   * (type 0x27).
   */
  static WindowsLayout writeWindows(Path disk, Scheme scheme) throws IOException {
    try (FileChannel ch =
        FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long size = BlockDevices.size(disk, ch);
      long sectors = size / SECTOR;
      long boot = scheme == Scheme.GPT ? ESP_BYTES + MSR_BYTES : MBR_SYSTEM_BYTES;
      long needed = 2 * MIB + boot + RECOVERY_BYTES + 64 * MIB;
      if (size < needed) {
        throw new IOException(
            disk
                + " holds "
                + size
                + " bytes; the Windows layout needs at least "
                + needed / MIB
                + " MiB");
      }
      if (scheme == Scheme.MBR && sectors > 0xFFFF_FFFFL) {
        throw new IOException(
            disk + " holds " + size + " bytes; an MBR addresses 2 TiB: use scheme Gpt");
      }
      ByteBuffer zeros = ByteBuffer.allocate((int) MIB);
      write(ch, zeros.duplicate(), 0);
      write(ch, zeros.duplicate(), (sectors * SECTOR) - MIB);
      long lastUsable = scheme == Scheme.GPT ? sectors - 2 - GPT_ENTRY_SECTORS : sectors - 1;
      // The recovery partition ends the disk on a MiB boundary.
      long recoveryFirst = ((lastUsable + 1) * SECTOR - RECOVERY_BYTES) / MIB * MIB / SECTOR;
      WindowsLayout layout;
      if (scheme == Scheme.GPT) {
        long espLast = FIRST_LBA + ESP_BYTES / SECTOR - 1;
        long msrLast = espLast + MSR_BYTES / SECTOR;
        ByteBuffer entries =
            ByteBuffer.allocate(GPT_ENTRIES * GPT_ENTRY_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        gptEntry(entries, 0, EFI_SYSTEM, FIRST_LBA, espLast, "EFI system partition");
        gptEntry(
            entries,
            GPT_ENTRY_SIZE,
            MICROSOFT_RESERVED,
            espLast + 1,
            msrLast,
            "Microsoft reserved partition");
        gptEntry(
            entries,
            2 * GPT_ENTRY_SIZE,
            BASIC_DATA,
            msrLast + 1,
            recoveryFirst - 1,
            "Basic data partition");
        gptEntry(
            entries, 3 * GPT_ENTRY_SIZE, WINDOWS_RECOVERY, recoveryFirst, lastUsable, "Recovery");
        entries.putLong(3 * GPT_ENTRY_SIZE + 48, RECOVERY_ATTRIBUTES);
        ByteBuffer mbr = ByteBuffer.allocate(SECTOR).order(ByteOrder.LITTLE_ENDIAN);
        entry(mbr, 446, 0xEE, 1, Math.min(sectors - 1, 0xFFFF_FFFFL));
        mbr.put(510, (byte) 0x55).put(511, (byte) 0xAA);
        write(ch, mbr, 0);
        writeGpt(ch, sectors, UUID.randomUUID(), entries);
        layout =
            new WindowsLayout(
                scheme,
                new Numbered(1, span(FIRST_LBA, espLast)),
                new Numbered(3, span(msrLast + 1, recoveryFirst - 1)),
                new Numbered(4, span(recoveryFirst, lastUsable)),
                5);
      } else {
        long systemLast = FIRST_LBA + MBR_SYSTEM_BYTES / SECTOR - 1;
        ByteBuffer b = ByteBuffer.allocate(SECTOR).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(440, (int) (System.nanoTime() | 1)); // disk signature
        entry(b, 446, 0x07, FIRST_LBA, systemLast - FIRST_LBA + 1);
        b.put(446, (byte) 0x80); // active: the system partition starts the machine
        entry(b, 462, 0x07, systemLast + 1, recoveryFirst - systemLast - 1);
        entry(b, 478, 0x27, recoveryFirst, lastUsable - recoveryFirst + 1);
        b.put(510, (byte) 0x55).put(511, (byte) 0xAA);
        write(ch, b, 0);
        layout =
            new WindowsLayout(
                scheme,
                new Numbered(1, span(FIRST_LBA, systemLast)),
                new Numbered(2, span(systemLast + 1, recoveryFirst - 1)),
                new Numbered(3, span(recoveryFirst, lastUsable)),
                4);
      }
      for (Numbered n : List.of(layout.boot(), layout.windows(), layout.recovery())) {
        write(ch, zeros.duplicate(), n.at().offset());
      }
      ch.force(true);
      return layout;
    }
  }

  /**
   * Lends the tail of the Windows partition to a staging partition of {@code stageBytes} (rounded
   * up to a MiB) numbered {@link WindowsLayout#stageNumber()}, where a Windows image file waits to
   * be applied; with {@code stageBytes} 0, gives the tail back: the Windows partition spans its
   * whole extent again and the staging partition is gone. Returns the staging partition, or null
   * when given back.
   */
  static Partition windowsStage(Path disk, WindowsLayout layout, long stageBytes)
      throws IOException {
    Partition windows = layout.windows().at();
    long stage = (stageBytes + MIB - 1) / MIB * MIB;
    if (stage > 0 && windows.length() - stage < 64 * MIB) {
      throw new IOException(
          "the Windows partition holds "
              + windows.length()
              + " bytes; staging an image of "
              + stageBytes
              + " bytes in it leaves too little to apply it to");
    }
    long first = windows.offset() / SECTOR;
    long windowsLast = (windows.offset() + windows.length() - stage) / SECTOR - 1;
    long stageLast = (windows.offset() + windows.length()) / SECTOR - 1;
    try (FileChannel ch =
        FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      if (layout.scheme() == Scheme.GPT) {
        ByteBuffer primary = read(ch, SECTOR, SECTOR);
        ByteBuffer entries = read(ch, primary.getLong(72) * SECTOR, GPT_ENTRY_SECTORS * SECTOR);
        int windowsAt = (layout.windows().number() - 1) * GPT_ENTRY_SIZE;
        int stageAt = (layout.stageNumber() - 1) * GPT_ENTRY_SIZE;
        entries.putLong(windowsAt + 40, windowsLast);
        entries.put(stageAt, new byte[GPT_ENTRY_SIZE]);
        if (stage > 0) {
          gptEntry(entries, stageAt, LINUX_DATA, windowsLast + 1, stageLast, "osdeploy staging");
        }
        long sectors = BlockDevices.size(disk, ch) / SECTOR;
        writeGpt(ch, sectors, guidAt(primary, 56), entries);
      } else {
        ByteBuffer mbr = read(ch, 0, SECTOR);
        int windowsAt = 446 + 16 * (layout.windows().number() - 1);
        int stageAt = 446 + 16 * (layout.stageNumber() - 1);
        mbr.putInt(windowsAt + 12, (int) (windowsLast - first + 1));
        mbr.put(stageAt, new byte[16]);
        if (stage > 0) {
          entry(mbr, stageAt, 0xDA, windowsLast + 1, stageLast - windowsLast);
        }
        write(ch, mbr, 0);
      }
      ch.force(true);
    }
    return stage > 0 ? new Partition((windowsLast + 1) * SECTOR, stage) : null;
  }

  /**
   * Partition {@code number} as a boot store names it: on GPT the disk's GUID and the partition's
   * unique GUID, in the bytes the table holds them; on MBR the disk signature and the partition's
   * byte offset.
   */
  static BootStore.Device bootDevice(Path disk, int number) throws IOException {
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
      ByteBuffer primary = read(ch, SECTOR, SECTOR);
      if ("EFI PART".equals(new String(primary.array(), 0, 8, StandardCharsets.US_ASCII))) {
        byte[] diskGuid = java.util.Arrays.copyOfRange(primary.array(), 56, 72);
        long at = primary.getLong(72) * SECTOR + (long) (number - 1) * primary.getInt(84);
        byte[] partGuid =
            java.util.Arrays.copyOfRange(read(ch, at, GPT_ENTRY_SIZE).array(), 16, 32);
        return new BootStore.Device(true, diskGuid, partGuid);
      }
      ByteBuffer mbr = read(ch, 0, SECTOR);
      Partition p = partition(ch, number);
      if (p == null) {
        throw new IOException(disk + " has no partition " + number);
      }
      byte[] signature = new byte[16];
      mbr.get(440, signature, 0, 4);
      byte[] offset =
          ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0, p.offset()).array();
      return new BootStore.Device(false, signature, offset);
    }
  }

  private static Partition span(long firstLba, long lastLba) {
    return new Partition(firstLba * SECTOR, (lastLba - firstLba + 1) * SECTOR);
  }

  /** Where a partition lies on the disk, in bytes. */
  record Partition(long offset, long length) {}

  /**
   * What was written: the partition the image goes to, and for the UEFI layout the EFI system
   * partition before it (null otherwise).
   */
  record Written(Partition image, Partition efiSystem) {}

  private DiskLabel() {}

  static Partition write(Path disk, Scheme scheme) throws IOException {
    return write(disk, scheme, false).image();
  }

  /**
   * As {@link #write(Path, Scheme)}; with {@code uefi} (GPT only), an EFI system partition of
   * {@link #ESP_BYTES} from 1 MiB, and the image's partition after it to the end of the disk.
   */
  static Written write(Path disk, Scheme scheme, boolean uefi) throws IOException {
    if (uefi && scheme != Scheme.GPT) {
      throw new IOException("the UEFI layout needs a GPT partition table (scheme: Gpt)");
    }
    try (FileChannel ch =
        FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long size = BlockDevices.size(disk, ch);
      long sectors = size / SECTOR;
      long needed = 4 * MIB + (uefi ? ESP_BYTES : 0);
      if (size < needed) {
        throw new IOException(
            disk
                + " holds "
                + size
                + " bytes; this layout needs at least "
                + needed / MIB
                + " MiB");
      }
      ByteBuffer zeros = ByteBuffer.allocate((int) MIB);
      write(ch, zeros.duplicate(), 0);
      write(ch, zeros.duplicate(), (sectors * SECTOR) - MIB);
      Written w =
          scheme == Scheme.GPT
              ? gpt(ch, sectors, UUID.randomUUID(), uefi)
              : new Written(mbr(ch, sectors), null);
      if (w.efiSystem() != null) {
        // No old file-system signature where the EFI system partition starts.
        write(ch, zeros.duplicate(), w.efiSystem().offset());
      }
      write(ch, zeros.duplicate(), w.image().offset());
      ch.force(true);
      return w;
    }
  }

  /**
   * After a whole-disk image was written to a larger disk: moves its backup GPT (header and
   * entries) from the image's end to the disk's, lets the last usable sector follow, widens the
   * protective MBR entry, and clears the old backup. Returns false when there is nothing to move
   * (no GPT, or the backup already ends the disk).
   *
   * @throws IOException when the primary header is damaged or names a backup beyond the disk
   */
  static boolean moveGptBackupToEnd(Path disk) throws IOException {
    try (FileChannel ch =
        FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long last = BlockDevices.size(disk, ch) / SECTOR - 1;
      ByteBuffer primary = read(ch, SECTOR, SECTOR);
      if (!"EFI PART".equals(new String(primary.array(), 0, 8, StandardCharsets.US_ASCII))) {
        return false;
      }
      int headerSize = primary.getInt(12);
      if (headerSize < 92 || headerSize > SECTOR) {
        throw new IOException("GPT header size " + headerSize + " is not between 92 and 512");
      }
      int stored = primary.getInt(16);
      primary.putInt(16, 0);
      CRC32 crc = new CRC32();
      crc.update(primary.array(), 0, headerSize);
      if ((int) crc.getValue() != stored) {
        throw new IOException("the primary GPT header's CRC does not match");
      }
      long backup = primary.getLong(32);
      if (backup == last) {
        primary.putInt(16, stored);
        return false;
      }
      if (backup > last) {
        throw new IOException(
            "the image's backup GPT is at sector " + backup + ", past the disk's last " + last);
      }
      long entriesBytes = (long) primary.getInt(80) * primary.getInt(84);
      if (entriesBytes <= 0 || entriesBytes > MIB) {
        throw new IOException("GPT entry array of " + entriesBytes + " bytes");
      }
      int entrySectors = (int) ((entriesBytes + SECTOR - 1) / SECTOR);
      ByteBuffer entries = read(ch, primary.getLong(72) * SECTOR, entrySectors * SECTOR);
      long lastUsable = last - 1 - entrySectors;

      // The old backup lies past the image's last usable sector, in no partition.
      write(ch, ByteBuffer.allocate((entrySectors + 1) * SECTOR), (backup - entrySectors) * SECTOR);
      write(ch, entries, (last - entrySectors) * SECTOR);
      ByteBuffer secondary =
          ByteBuffer.wrap(primary.array().clone()).order(ByteOrder.LITTLE_ENDIAN);
      secondary.putLong(24, last).putLong(32, 1).putLong(48, lastUsable);
      secondary.putLong(72, last - entrySectors);
      write(ch, sealed(secondary, headerSize), last * SECTOR);
      primary.putLong(32, last).putLong(48, lastUsable);
      write(ch, sealed(primary, headerSize), SECTOR);

      ByteBuffer mbr = read(ch, 0, SECTOR);
      if ((mbr.get(446 + 4) & 0xFF) == 0xEE) {
        mbr.putInt(446 + 12, (int) Math.min(last, 0xFFFF_FFFFL));
        write(ch, mbr, 0);
      }
      ch.force(true);
      return true;
    }
  }

  /**
   * Where partition {@code number} (1 is the first) of a GPT or MBR disk lies; null when the table
   * has no such partition.
   */
  static Partition partition(FileChannel ch, int number) throws IOException {
    if (number < 1) {
      return null;
    }
    ByteBuffer primary = read(ch, SECTOR, SECTOR);
    if ("EFI PART".equals(new String(primary.array(), 0, 8, StandardCharsets.US_ASCII))) {
      int count = primary.getInt(80);
      int size = primary.getInt(84);
      if (number > count || size < 128 || size > SECTOR) {
        return null;
      }
      long at = primary.getLong(72) * SECTOR + (long) (number - 1) * size;
      ByteBuffer entry = read(ch, at, size);
      if (entry.getLong(0) == 0 && entry.getLong(8) == 0) {
        return null; // an unused entry
      }
      long first = entry.getLong(32);
      long last = entry.getLong(40);
      return last < first ? null : new Partition(first * SECTOR, (last - first + 1) * SECTOR);
    }
    ByteBuffer mbr = read(ch, 0, SECTOR);
    if (number > 4 || (mbr.get(510) & 0xFF) != 0x55 || (mbr.get(511) & 0xFF) != 0xAA) {
      return null;
    }
    int at = 446 + 16 * (number - 1);
    long start = Integer.toUnsignedLong(mbr.getInt(at + 8));
    long sectors = Integer.toUnsignedLong(mbr.getInt(at + 12));
    return mbr.get(at + 4) == 0 || sectors == 0
        ? null
        : new Partition(start * SECTOR, sectors * SECTOR);
  }

  private static ByteBuffer sealed(ByteBuffer header, int headerSize) {
    header.putInt(16, 0);
    CRC32 crc = new CRC32();
    crc.update(header.array(), 0, headerSize);
    header.putInt(16, (int) crc.getValue());
    return header;
  }

  private static ByteBuffer read(FileChannel ch, long position, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    while (b.hasRemaining()) {
      if (ch.read(b, position + b.position()) < 0) {
        throw new IOException("the disk ends at " + (position + b.position()));
      }
    }
    return b.clear();
  }

  private static Partition mbr(FileChannel ch, long sectors) throws IOException {
    long count = Math.min(sectors - FIRST_LBA, 0xFFFF_FFFFL);
    ByteBuffer b = ByteBuffer.allocate(SECTOR).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(440, (int) (System.nanoTime() | 1)); // disk signature
    entry(b, 446, 0x83, FIRST_LBA, count);
    b.put(510, (byte) 0x55).put(511, (byte) 0xAA);
    write(ch, b, 0);
    return new Partition(FIRST_LBA * SECTOR, count * SECTOR);
  }

  private static Written gpt(FileChannel ch, long sectors, UUID diskGuid, boolean uefi)
      throws IOException {
    long last = sectors - 1;
    long lastUsable = last - 1 - GPT_ENTRY_SECTORS;
    ByteBuffer mbr = ByteBuffer.allocate(SECTOR).order(ByteOrder.LITTLE_ENDIAN);
    entry(mbr, 446, 0xEE, 1, Math.min(sectors - 1, 0xFFFF_FFFFL));
    mbr.put(510, (byte) 0x55).put(511, (byte) 0xAA);
    write(ch, mbr, 0);

    ByteBuffer entries =
        ByteBuffer.allocate(GPT_ENTRIES * GPT_ENTRY_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    long imageFirst = FIRST_LBA;
    Partition esp = null;
    if (uefi) {
      long espLast = FIRST_LBA + ESP_BYTES / SECTOR - 1;
      gptEntry(entries, 0, EFI_SYSTEM, FIRST_LBA, espLast, "EFI system partition");
      esp = new Partition(FIRST_LBA * SECTOR, ESP_BYTES);
      imageFirst = espLast + 1;
    }
    gptEntry(entries, uefi ? GPT_ENTRY_SIZE : 0, LINUX_DATA, imageFirst, lastUsable, "osdeploy");
    writeGpt(ch, sectors, diskGuid, entries);
    return new Written(
        new Partition(imageFirst * SECTOR, (lastUsable - imageFirst + 1) * SECTOR), esp);
  }

  /** Writes both GPT headers and entry arrays for a disk of {@code sectors}. */
  private static void writeGpt(FileChannel ch, long sectors, UUID diskGuid, ByteBuffer entries)
      throws IOException {
    long last = sectors - 1;
    long firstUsable = 2 + GPT_ENTRY_SECTORS;
    long lastUsable = last - 1 - GPT_ENTRY_SECTORS;
    CRC32 entriesCrc = new CRC32();
    entriesCrc.update(entries.array());
    write(ch, entries.duplicate(), 2L * SECTOR);
    write(ch, entries.duplicate(), (last - GPT_ENTRY_SECTORS) * SECTOR);
    write(ch, header(1, last, firstUsable, lastUsable, 2, diskGuid, entriesCrc), SECTOR);
    write(
        ch,
        header(last, 1, firstUsable, lastUsable, last - GPT_ENTRY_SECTORS, diskGuid, entriesCrc),
        last * SECTOR);
  }

  /** The GUID stored at {@code at}, as {@link #guid} writes it. */
  private static UUID guidAt(ByteBuffer b, int at) {
    long hi =
        ((long) b.getInt(at) << 32)
            | ((b.getShort(at + 4) & 0xFFFFL) << 16)
            | (b.getShort(at + 6) & 0xFFFFL);
    long lo = ByteBuffer.wrap(b.array(), at + 8, 8).order(ByteOrder.BIG_ENDIAN).getLong();
    return new UUID(hi, lo);
  }

  private static void gptEntry(
      ByteBuffer entries, int at, UUID type, long first, long last, String name) {
    guid(entries, at, type);
    guid(entries, at + 16, UUID.randomUUID());
    entries.putLong(at + 32, first);
    entries.putLong(at + 40, last);
    entries.put(at + 56, name.getBytes(StandardCharsets.UTF_16LE));
  }

  private static ByteBuffer header(
      long current,
      long backup,
      long firstUsable,
      long lastUsable,
      long entriesLba,
      UUID diskGuid,
      CRC32 entriesCrc) {
    ByteBuffer h = ByteBuffer.allocate(SECTOR).order(ByteOrder.LITTLE_ENDIAN);
    h.put(0, "EFI PART".getBytes(StandardCharsets.US_ASCII));
    h.putInt(8, 0x0001_0000);
    h.putInt(12, 92);
    h.putLong(24, current);
    h.putLong(32, backup);
    h.putLong(40, firstUsable);
    h.putLong(48, lastUsable);
    guid(h, 56, diskGuid);
    h.putLong(72, entriesLba);
    h.putInt(80, GPT_ENTRIES);
    h.putInt(84, GPT_ENTRY_SIZE);
    h.putInt(88, (int) entriesCrc.getValue());
    CRC32 crc = new CRC32();
    crc.update(h.array(), 0, 92);
    h.putInt(16, (int) crc.getValue());
    return h;
  }

  /** An MBR partition entry addressed by LBA only (CHS fields say "beyond CHS"). */
  private static void entry(ByteBuffer b, int at, int type, long firstLba, long count) {
    b.put(at, (byte) 0);
    b.put(at + 1, (byte) 0xFE).put(at + 2, (byte) 0xFF).put(at + 3, (byte) 0xFF);
    b.put(at + 4, (byte) type);
    b.put(at + 5, (byte) 0xFE).put(at + 6, (byte) 0xFF).put(at + 7, (byte) 0xFF);
    b.putInt(at + 8, (int) firstLba);
    b.putInt(at + 12, (int) count);
  }

  /** A GUID as GPT stores it: the first three fields little-endian, the rest as written. */
  private static void guid(ByteBuffer b, int at, UUID id) {
    long hi = id.getMostSignificantBits();
    b.putInt(at, (int) (hi >>> 32));
    b.putShort(at + 4, (short) (hi >>> 16));
    b.putShort(at + 6, (short) hi);
    ByteBuffer big = ByteBuffer.allocate(8).putLong(id.getLeastSignificantBits());
    b.put(at + 8, big.array());
  }

  private static void write(FileChannel ch, ByteBuffer b, long position) throws IOException {
    b.position(0);
    while (b.hasRemaining()) {
      position += ch.write(b, position);
    }
  }
}
