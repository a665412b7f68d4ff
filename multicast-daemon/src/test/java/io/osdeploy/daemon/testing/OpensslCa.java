package io.osdeploy.daemon.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A CA of a test's own, made by the openssl command as an administrator would: it writes
 * Secret-like directories ({@code tls.crt}, {@code tls.key}, {@code ca.crt}) for a server's IP
 * address, with the RSA key as PKCS#1, as cert-manager writes it by default.
 */
public final class OpensslCa {
  private final Path dir;

  private OpensslCa(Path dir) {
    this.dir = dir;
  }

  /** Whether the openssl command is there. */
  public static boolean available() {
    try {
      return new ProcessBuilder("openssl", "version").start().waitFor() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  public static OpensslCa create(Path dir, String name) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    run(dir, "openssl", "genrsa", "-traditional", "-out", "ca.key", "2048");
    run(
        dir,
        "openssl",
        "req",
        "-x509",
        "-new",
        "-key",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "30",
        "-subj",
        "/CN=" + name,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign");
    return new OpensslCa(dir);
  }

  public Path certificate() {
    return dir.resolve("ca.crt");
  }

  /**
   * Writes {@code tls.crt} (the leaf only), {@code tls.key} (PKCS#1) and {@code ca.crt} for {@code
   * ip} into {@code target}, replacing what is there, and returns {@code target}.
   */
  public Path issue(Path target, String ip) throws IOException, InterruptedException {
    Files.createDirectories(target);
    Path work = Files.createTempDirectory(dir, "issue-");
    run(work, "openssl", "genrsa", "-traditional", "-out", "tls.key", "2048");
    run(work, "openssl", "req", "-new", "-key", "tls.key", "-out", "tls.csr", "-subj", "/CN=" + ip);
    Files.writeString(
        work.resolve("ext.cnf"),
        "subjectAltName=IP:" + ip + "\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
    run(
        work,
        "openssl",
        "x509",
        "-req",
        "-in",
        "tls.csr",
        "-CA",
        dir.resolve("ca.crt").toString(),
        "-CAkey",
        dir.resolve("ca.key").toString(),
        "-CAcreateserial",
        "-out",
        "tls.crt",
        "-days",
        "30",
        "-extfile",
        "ext.cnf");
    for (String name : List.of("tls.crt", "tls.key")) {
      Files.copy(
          work.resolve(name),
          target.resolve(name),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    Files.copy(
        certificate(), target.resolve("ca.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return target;
  }

  /** A client context trusting this CA only. */
  public SSLContext clientContext() throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(certificate())) {
      trust.setCertificateEntry(
          "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, factory.getTrustManagers(), null);
    return context;
  }

  /** Runs {@code command} in {@code dir}; throws with its output if it fails. */
  public static String run(Path dir, String... command) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed:\n" + output);
    }
    return output;
  }
}
