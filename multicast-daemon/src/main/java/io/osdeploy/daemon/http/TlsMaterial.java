package io.osdeploy.daemon.http;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.osdeploy.transfer.tls.PinnedCa;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/**
 * The daemon's TLS certificate, as a Secret of type {@code kubernetes.io/tls} mounts it: {@code
 * tls.crt} (the certificate, then its chain), {@code tls.key} (PKCS#8, or PKCS#1 for RSA) and
 * optionally {@code ca.crt}. The CA certificate is sent with the chain unless it is there already:
 * iPXE on media pinning a CA finds the pinned certificate in the chain the server sends.
 *
 * @param context the server context for new connections
 * @param digest SHA-256 over the three files, to tell when the Secret changed
 * @param chain the certificates sent, leaf first
 */
public record TlsMaterial(SslContext context, String digest, List<X509Certificate> chain) {
  public static final String CERTIFICATE = "tls.crt";
  public static final String KEY = "tls.key";
  public static final String CA = "ca.crt";

  private static final Pattern PEM_KEY =
      Pattern.compile(
          "-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

  /** SEQUENCE { OID rsaEncryption, NULL }: the algorithm of a PKCS#1 key wrapped as PKCS#8. */
  private static final byte[] RSA_ALGORITHM =
      HexFormat.of().parseHex("300d06092a864886f70d0101010500");

  /**
   * Reads {@code dir}.
   *
   * @throws IOException naming the file that is missing or cannot be used
   */
  public static TlsMaterial load(Path dir) throws IOException {
    byte[] certificateBytes = read(dir.resolve(CERTIFICATE));
    byte[] keyBytes = read(dir.resolve(KEY));
    byte[] caBytes = readIfThere(dir.resolve(CA));
    List<X509Certificate> chain = new ArrayList<>(certificates(certificateBytes, CERTIFICATE));
    if (chain.isEmpty()) {
      throw new IOException(dir.resolve(CERTIFICATE) + ": no certificate in it");
    }
    for (X509Certificate ca : certificates(caBytes, CA)) {
      if (!chain.contains(ca)) {
        chain.add(ca);
      }
    }
    PrivateKey key = privateKey(new String(keyBytes, StandardCharsets.US_ASCII), dir.resolve(KEY));
    try {
      SslContext context =
          SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new)).build();
      return new TlsMaterial(
          context, digest(certificateBytes, keyBytes, caBytes), List.copyOf(chain));
    } catch (SSLException | IllegalArgumentException e) {
      throw new IOException(
          dir.resolve(KEY) + ", " + dir.resolve(CERTIFICATE) + ": not usable: " + e.getMessage(),
          e);
    }
  }

  /**
   * SHA-256 of the CA certificate the chain ends in, when the chain has more than the leaf and ends
   * in a self-signed certificate; null otherwise.
   */
  public String caFingerprint() {
    X509Certificate last = chain.get(chain.size() - 1);
    if (chain.size() < 2 || !last.getSubjectX500Principal().equals(last.getIssuerX500Principal())) {
      return null;
    }
    return PinnedCa.fingerprint(last);
  }

  /** SHA-256 over the three files as they are now. */
  public static String digest(Path dir) throws IOException {
    return digest(
        readIfThere(dir.resolve(CERTIFICATE)),
        readIfThere(dir.resolve(KEY)),
        readIfThere(dir.resolve(CA)));
  }

  /** The digest of the files' bytes, so what was loaded is what {@link #digest(Path)} compares. */
  private static String digest(byte[] certificate, byte[] key, byte[] ca) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      List<String> names = List.of(CERTIFICATE, KEY, CA);
      List<byte[]> contents = List.of(certificate, key, ca);
      for (int i = 0; i < names.size(); i++) {
        sha.update(names.get(i).getBytes(StandardCharsets.US_ASCII));
        sha.update(Integer.toString(contents.get(i).length).getBytes(StandardCharsets.US_ASCII));
        sha.update(contents.get(i));
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  private static byte[] readIfThere(Path file) throws IOException {
    return Files.isRegularFile(file) ? Files.readAllBytes(file) : new byte[0];
  }

  private static byte[] read(Path file) throws IOException {
    if (!Files.isReadable(file)) {
      throw new IOException(file + ": missing or not readable");
    }
    return Files.readAllBytes(file);
  }

  private static List<X509Certificate> certificates(byte[] pem, String name) throws IOException {
    if (pem.length == 0) {
      return List.of();
    }
    try {
      List<X509Certificate> certificates = new ArrayList<>();
      for (Certificate c :
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(pem))) {
        certificates.add((X509Certificate) c);
      }
      return certificates;
    } catch (GeneralSecurityException e) {
      throw new IOException(name + ": not PEM certificates: " + e.getMessage(), e);
    }
  }

  private static PrivateKey privateKey(String pem, Path file) throws IOException {
    Matcher m = PEM_KEY.matcher(pem);
    if (!m.find()) {
      throw new IOException(file + ": no PEM private key in it");
    }
    String type = m.group(1);
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(m.group(2));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": the key is not valid base64", e);
    }
    try {
      switch (type) {
        case "PRIVATE KEY" -> {
          try {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
          } catch (GeneralSecurityException notRsa) {
            return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
          }
        }
        case "RSA PRIVATE KEY" -> {
          return KeyFactory.getInstance("RSA")
              .generatePrivate(new PKCS8EncodedKeySpec(pkcs8FromPkcs1(der)));
        }
        default ->
            throw new IOException(
                file
                    + ": "
                    + type
                    + " is not supported; give the key unencrypted as PKCS#8 (PRIVATE KEY) or"
                    + " PKCS#1 RSA (with cert-manager: privateKey.encoding PKCS8)");
      }
    } catch (GeneralSecurityException e) {
      throw new IOException(file + ": not a usable private key: " + e.getMessage(), e);
    }
  }

  /** PKCS#8 PrivateKeyInfo { version 0, rsaEncryption, OCTET STRING { the PKCS#1 key } }. */
  static byte[] pkcs8FromPkcs1(byte[] pkcs1) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(new byte[] {0x02, 0x01, 0x00});
    body.writeBytes(RSA_ALGORITHM);
    body.write(0x04);
    body.writeBytes(derLength(pkcs1.length));
    body.writeBytes(pkcs1);
    ByteArrayOutputStream info = new ByteArrayOutputStream();
    info.write(0x30);
    info.writeBytes(derLength(body.size()));
    info.writeBytes(body.toByteArray());
    return info.toByteArray();
  }

  private static byte[] derLength(int length) {
    if (length < 0x80) {
      return new byte[] {(byte) length};
    }
    if (length < 0x100) {
      return new byte[] {(byte) 0x81, (byte) length};
    }
    if (length < 0x10000) {
      return new byte[] {(byte) 0x82, (byte) (length >> 8), (byte) length};
    }
    return new byte[] {(byte) 0x83, (byte) (length >> 16), (byte) (length >> 8), (byte) length};
  }
}
