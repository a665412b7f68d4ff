package io.osdeploy.transfer.tls;

import io.osdeploy.api.v1alpha1.Patterns;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Trust in one CA, named by the SHA-256 fingerprint of its certificate, as media pinning a CA trust
 * it: a server is trusted when the chain it sends holds the pinned certificate and the certificates
 * before it chain up to that one. The host name is checked as for any HTTPS connection. The JDK's
 * own trusted CAs play no part.
 */
public final class PinnedCa {
  private static final Pattern FINGERPRINT = Pattern.compile(Patterns.CA_FINGERPRINT);

  private PinnedCa() {}

  /**
   * A client context trusting the CA with {@code fingerprint} (64 hex digits, colons allowed).
   *
   * @throws IllegalArgumentException when {@code fingerprint} is not a SHA-256 fingerprint
   */
  public static SSLContext context(String fingerprint) {
    byte[] pin = parse(fingerprint);
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {new Manager(pin)}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java runtime has TLS", e);
    }
  }

  /** The fingerprint as 32 bytes; throws naming what was given when it is not one. */
  public static byte[] parse(String fingerprint) {
    if (fingerprint == null || !FINGERPRINT.matcher(fingerprint).matches()) {
      throw new IllegalArgumentException(
          "not a SHA-256 fingerprint (64 hex digits, colons allowed): " + fingerprint);
    }
    return HexFormat.of().parseHex(fingerprint.replace(":", "").toLowerCase(Locale.ROOT));
  }

  /** SHA-256 of {@code certificate}'s DER bytes, 64 lower-case hex digits. */
  public static String fingerprint(X509Certificate certificate) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("a parsed certificate always encodes", e);
    }
  }

  /**
   * A plain {@link X509TrustManager} on purpose: the JDK wraps such a manager and adds the host
   * name check that HTTPS asks for, as its own managers make it.
   */
  private static final class Manager implements X509TrustManager {
    private final byte[] pin;

    Manager(byte[] pin) {
      this.pin = pin;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      if (chain == null || chain.length == 0) {
        throw new CertificateException("the server sent no certificate");
      }
      int anchor = -1;
      for (int i = 0; i < chain.length && anchor < 0; i++) {
        if (Arrays.equals(pin, HexFormat.of().parseHex(fingerprint(chain[i])))) {
          anchor = i;
        }
      }
      if (anchor < 0) {
        throw new CertificateException(
            "no certificate the server sent is the pinned CA "
                + HexFormat.of().formatHex(pin)
                + " (the server must send the CA with its chain)");
      }
      if (anchor == 0) {
        return; // the pinned certificate is the server's own
      }
      try {
        PKIXParameters parameters =
            new PKIXParameters(Set.of(new TrustAnchor(chain[anchor], null)));
        parameters.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX")
            .validate(
                CertificateFactory.getInstance("X.509")
                    .generateCertPath(List.of(chain).subList(0, anchor)),
                parameters);
      } catch (GeneralSecurityException e) {
        throw new CertificateException(
            "the server's certificate does not chain to the pinned CA: " + e.getMessage(), e);
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      throw new CertificateException("a pinned CA only checks servers");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
