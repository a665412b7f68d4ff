package io.osdeploy.operator.testing;

import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority of a test's own, RSA as iPXE needs, issuing server certificates for an IP
 * address. {@link #serverContext} serves the whole chain, the CA included, because a client that
 * pins the CA by fingerprint (iPXE) must see it in the chain; {@link #writeSecret} writes the files
 * a daemon reads.
 */
public final class TestCa {
  private final KeyPair key;
  private final X509Certificate certificate;

  private TestCa(KeyPair key, X509Certificate certificate) {
    this.key = key;
    this.certificate = certificate;
  }

  public static TestCa create(String name) throws GeneralSecurityException {
    KeyPair key = rsa();
    X500Name subject = new X500Name("CN=" + name);
    X509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            subject, serial(), notBefore(), notAfter(), subject, key.getPublic());
    try {
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      return new TestCa(key, sign(builder, key));
    } catch (java.io.IOException e) {
      throw new GeneralSecurityException(e);
    }
  }

  /** SHA-256 of the CA certificate, 64 lower-case hex digits: what a media's caFingerprint is. */
  public String fingerprint() throws GeneralSecurityException {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
  }

  /** A TLS context serving a certificate for {@code ip}, issued by this CA, with the chain. */
  public SSLContext serverContext(String ip) throws Exception {
    KeyPair server = rsa();
    X509Certificate leaf = issue(ip, server);
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    char[] password = "test".toCharArray();
    store.setKeyEntry(
        "server", server.getPrivate(), password, new X509Certificate[] {leaf, certificate});
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store, password);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), null, null);
    return context;
  }

  /**
   * Writes what a Secret of type kubernetes.io/tls holds for {@code ip} into {@code dir}: {@code
   * tls.crt} (the leaf only), {@code tls.key} (PKCS#8) and {@code ca.crt}.
   */
  public Path writeSecret(Path dir, String ip) throws Exception {
    KeyPair server = rsa();
    java.nio.file.Files.createDirectories(dir);
    java.nio.file.Files.writeString(
        dir.resolve("tls.crt"), pem("CERTIFICATE", issue(ip, server).getEncoded()));
    java.nio.file.Files.writeString(
        dir.resolve("tls.key"), pem("PRIVATE KEY", server.getPrivate().getEncoded()));
    java.nio.file.Files.writeString(
        dir.resolve("ca.crt"), pem("CERTIFICATE", certificate.getEncoded()));
    return dir;
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + java.util.Base64.getMimeEncoder(
                64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
            .encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  private X509Certificate issue(String ip, KeyPair server) throws Exception {
    X509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            new X500Name(certificate.getSubjectX500Principal().getName()),
            serial(),
            notBefore(),
            notAfter(),
            new X500Name("CN=" + ip),
            server.getPublic());
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    builder.addExtension(
        Extension.keyUsage,
        true,
        new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
    builder.addExtension(
        Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
    builder.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(
            new GeneralName(
                GeneralName.iPAddress,
                new org.bouncycastle.asn1.DEROctetString(InetAddress.getByName(ip).getAddress()))));
    return sign(builder, key);
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair issuer)
      throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter()
          .getCertificate(
              builder.build(
                  new JcaContentSignerBuilder("SHA256withRSA").build(issuer.getPrivate())));
    } catch (org.bouncycastle.operator.OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static KeyPair rsa() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    return generator.generateKeyPair();
  }

  private static BigInteger serial() {
    return BigInteger.valueOf(System.nanoTime());
  }

  private static Date notBefore() {
    return Date.from(Instant.now().minus(Duration.ofDays(1)));
  }

  private static Date notAfter() {
    return Date.from(Instant.now().plus(Duration.ofDays(30)));
  }
}
