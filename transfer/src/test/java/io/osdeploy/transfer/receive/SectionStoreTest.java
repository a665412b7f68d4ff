package io.osdeploy.transfer.receive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.Unpooled;
import io.osdeploy.transfer.wire.Announce;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sections assembled in memory, spilled to the file when memory is full, and the image digest. */
class SectionStoreTest {
  private static final int BLOCK = 100;
  private static final int PER_SECTION = 8;
  private static final int SECTION = BLOCK * PER_SECTION;

  @TempDir Path dir;

  private final byte[] image = new byte[10 * SECTION - 30]; // the last block and section are short
  private final Announce announce;

  SectionStoreTest() {
    new Random(7).nextBytes(image);
    announce = Announce.of(image.length, BLOCK, PER_SECTION, 0, new byte[32], "test");
  }

  @Test
  void inOrderSectionsAreWrittenOnceAndNeverReadBack() throws Exception {
    Path file = dir.resolve("image");
    try (FileChannel out = open(file)) {
      SectionStore store = new SectionStore(out, file, 0, announce, SECTION, 2);
      for (int b = 0; b < announce.blockCount(); b++) {
        store.write(b, Unpooled.wrappedBuffer(image, b * BLOCK, length(b)));
        if ((b + 1) % PER_SECTION == 0 || b == announce.blockCount() - 1) {
          int s = b / PER_SECTION;
          ByteBuffer bytes = store.section(s);
          assertArrayEquals(section(s), remaining(bytes.duplicate()));
          store.verified(s, bytes);
        }
      }
      assertEquals(sha256(image), store.imageSha256());
      assertEquals(0, store.readBackBytes());
    }
    assertArrayEquals(image, Files.readAllBytes(file));
  }

  @Test
  void anIncompleteSectionGoesToTheFileWhenMemoryIsFullAndIsReadBackWhenWhole() throws Exception {
    Path file = dir.resolve("image");
    int gap = 3; // section 0 misses block 3 until the end
    try (FileChannel out = open(file)) {
      SectionStore store = new SectionStore(out, file, 0, announce, SECTION, 1);
      for (int b = 0; b < announce.blockCount(); b++) {
        if (b == gap) {
          continue;
        }
        store.write(b, Unpooled.wrappedBuffer(image, b * BLOCK, length(b)));
        if (((b + 1) % PER_SECTION == 0 || b == announce.blockCount() - 1) && b >= PER_SECTION) {
          int s = b / PER_SECTION;
          store.verified(s, store.section(s));
        }
      }
      byte[] held = new byte[BLOCK];
      store.read(2, held, BLOCK); // section 0 was spilled: this comes from the file
      assertArrayEquals(Arrays.copyOfRange(image, 2 * BLOCK, 3 * BLOCK), held);
      assertThrows(IllegalStateException.class, store::imageSha256, "section 0 is not verified");
      // The missing block arrives rebuilt from parity, as an array of its own.
      store.write(gap, Arrays.copyOfRange(image, gap * BLOCK, gap * BLOCK + BLOCK), BLOCK);
      ByteBuffer first = store.section(0);
      assertArrayEquals(section(0), remaining(first.duplicate()));
      store.verified(0, first);
      assertEquals(sha256(image), store.imageSha256());
      // Section 0 was read back for its check, and sections 1.. to hash them after it.
      assertEquals(image.length, store.readBackBytes());
    }
    assertArrayEquals(image, Files.readAllBytes(file));
  }

  @Test
  void aDroppedSectionIsAssembledAgainFromScratch() throws Exception {
    Path file = dir.resolve("image");
    try (FileChannel out = open(file)) {
      SectionStore store = new SectionStore(out, file, 0, announce, SECTION, 2);
      store.write(0, Unpooled.wrappedBuffer(new byte[BLOCK])); // forged
      for (int b = 1; b < PER_SECTION; b++) {
        store.write(b, Unpooled.wrappedBuffer(image, b * BLOCK, BLOCK));
      }
      store.dropped(0);
      for (int b = 0; b < PER_SECTION; b++) {
        store.write(b, Unpooled.wrappedBuffer(image, b * BLOCK, BLOCK));
      }
      assertArrayEquals(section(0), remaining(store.section(0)));
      assertEquals(0, store.readBackBytes());
    }
  }

  @Test
  void anImageAtAnOffsetLeavesTheBytesBeforeIt() throws Exception {
    Path file = dir.resolve("disk");
    byte[] before = new byte[512];
    Arrays.fill(before, (byte) 0x5a);
    Files.write(file, before);
    try (FileChannel out = open(file)) {
      SectionStore store = new SectionStore(out, file, before.length, announce, SECTION, 2);
      for (int b = (int) announce.blockCount() - 1; b >= 0; b--) { // backwards: spills, reads back
        store.write(b, Unpooled.wrappedBuffer(image, b * BLOCK, length(b)));
      }
      for (int s = 0; s < announce.sectionCount(); s++) {
        store.verified(s, store.section(s));
      }
      assertEquals(sha256(image), store.imageSha256());
    }
    byte[] disk = Files.readAllBytes(file);
    assertArrayEquals(before, Arrays.copyOf(disk, before.length));
    assertArrayEquals(image, Arrays.copyOfRange(disk, before.length, disk.length));
  }

  private int length(int block) {
    return Math.min(BLOCK, image.length - block * BLOCK);
  }

  private byte[] section(int s) {
    return Arrays.copyOfRange(image, s * SECTION, Math.min(image.length, (s + 1) * SECTION));
  }

  private static byte[] remaining(ByteBuffer b) {
    byte[] bytes = new byte[b.remaining()];
    b.get(bytes);
    return bytes;
  }

  private static FileChannel open(Path file) throws IOException {
    return FileChannel.open(
        file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
