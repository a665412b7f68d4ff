package io.osdeploy.daemon.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.daemon.testing.OpensslCa;
import io.osdeploy.daemon.testing.Prerequisites;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsMaterialTest {
  @TempDir Path dir;

  @BeforeAll
  static void openssl() {
    Prerequisites.require(OpensslCa.available(), "openssl (Debian package openssl)");
  }

  @Test
  void sendsTheCaWithTheChainOnceAndReadsAPkcs1Key() throws Exception {
    OpensslCa ca = OpensslCa.create(dir.resolve("ca"), "site CA");
    Path tls = ca.issue(dir.resolve("tls"), "127.0.0.1");
    assertTrue(Files.readString(tls.resolve("tls.key")).contains("BEGIN RSA PRIVATE KEY"));
    TlsMaterial material = TlsMaterial.load(tls);
    assertEquals(2, material.chain().size(), "leaf, then the CA from ca.crt");
    assertEquals("CN=site CA", material.chain().get(1).getSubjectX500Principal().getName());
    assertEquals(
        io.osdeploy.transfer.tls.PinnedCa.fingerprint(material.chain().get(1)),
        material.caFingerprint(),
        "the CA the agent is told to pin");
    Files.delete(tls.resolve("ca.crt"));
    assertEquals(null, TlsMaterial.load(tls).caFingerprint(), "a leaf alone names no CA");
    Files.copy(ca.certificate(), tls.resolve("ca.crt"));

    // cert-manager may put the CA into tls.crt as well: it is not sent twice.
    Files.writeString(
        tls.resolve("tls.crt"),
        Files.readString(tls.resolve("tls.crt")) + Files.readString(ca.certificate()));
    assertEquals(2, TlsMaterial.load(tls).chain().size());
  }

  @Test
  void readsAPkcs8KeyAndTellsWhenTheFilesChange() throws Exception {
    OpensslCa ca = OpensslCa.create(dir.resolve("ca"), "site CA");
    Path tls = ca.issue(dir.resolve("tls"), "127.0.0.1");
    String before = TlsMaterial.digest(tls);
    OpensslCa.run(tls, "openssl", "pkcs8", "-topk8", "-nocrypt", "-in", "tls.key", "-out", "k8");
    Files.move(
        tls.resolve("k8"),
        tls.resolve("tls.key"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertTrue(Files.readString(tls.resolve("tls.key")).contains("BEGIN PRIVATE KEY"));
    assertEquals(2, TlsMaterial.load(tls).chain().size());
    assertNotEquals(before, TlsMaterial.digest(tls));
  }

  @Test
  void namesTheFileThatIsMissingOrUnusable() throws Exception {
    OpensslCa ca = OpensslCa.create(dir.resolve("ca"), "site CA");
    Path tls = ca.issue(dir.resolve("tls"), "127.0.0.1");
    OpensslCa.run(
        tls, "openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec.key");
    Files.move(
        tls.resolve("ec.key"),
        tls.resolve("tls.key"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    IOException ec = assertThrows(IOException.class, () -> TlsMaterial.load(tls));
    assertTrue(
        ec.getMessage().startsWith(tls.resolve("tls.key") + ": EC PRIVATE KEY"), ec.getMessage());

    Files.delete(tls.resolve("tls.crt"));
    IOException missing = assertThrows(IOException.class, () -> TlsMaterial.load(tls));
    assertTrue(
        missing.getMessage().startsWith(tls.resolve("tls.crt") + ": missing"),
        missing.getMessage());
  }
}
