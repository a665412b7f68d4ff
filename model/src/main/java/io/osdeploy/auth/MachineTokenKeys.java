package io.osdeploy.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A distribution point's machine-token keys: Ed25519 key pairs named {@code key-<epoch seconds of
 * creation>}, each stored as two lines (base64 PKCS#8 private key, base64 X.509 public key). The
 * operator keeps them in a Secret that is mounted into every daemon pod of the distribution point,
 * so a token issued by one node is accepted by all.
 *
 * <p>Rotation never breaks a machine mid-deployment: the operator adds a new key {@link #ROTATION}
 * after the newest; daemons keep signing with the older key until the new one is {@link
 * #PUBLISH_DELAY} old (by then every node's mounted copy has it), and the operator removes an old
 * key only once a newer one has signed for longer than a token lives ({@link #RETIRE_AFTER}). A
 * machine renews its token well before it expires, and a renewed token carries the newest key.
 */
public final class MachineTokenKeys {
  /** How long a token is valid; agents renew at half of it. */
  public static final Duration TOKEN_LIFETIME = Duration.ofHours(1);

  /** How long a new key waits before it signs: the kubelet's refresh of a mounted Secret. */
  public static final Duration PUBLISH_DELAY = Duration.ofMinutes(3);

  /** How often the operator adds a new key. */
  public static final Duration ROTATION = Duration.ofDays(1);

  /** How long a superseded key stays, counted from when its successor was created. */
  public static final Duration RETIRE_AFTER =
      PUBLISH_DELAY.plus(TOKEN_LIFETIME).plus(Duration.ofMinutes(10));

  private static final Pattern NAME = Pattern.compile("key-[0-9]{1,12}");

  /** One key pair. */
  public record Key(String id, Instant created, PrivateKey privateKey, PublicKey publicKey) {}

  /** The outcome of checking a token: its claims, or why it is refused. */
  public record Verification(MachineToken token, String failure) {
    public boolean valid() {
      return token != null;
    }
  }

  private final Map<String, Key> keys;

  private MachineTokenKeys(Map<String, Key> keys) {
    this.keys = keys;
  }

  public static MachineTokenKeys of(List<Key> keys) {
    Map<String, Key> byId = new TreeMap<>();
    keys.forEach(k -> byId.put(k.id(), k));
    return new MachineTokenKeys(byId);
  }

  public static boolean isKeyName(String name) {
    return NAME.matcher(name).matches();
  }

  /** A new key pair created at {@code now}. */
  public static Key generate(Instant now) {
    try {
      KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      return new Key(
          "key-" + now.getEpochSecond(),
          Instant.ofEpochSecond(now.getEpochSecond()),
          pair.getPrivate(),
          pair.getPublic());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has Ed25519", e);
    }
  }

  /** The stored form of a key: two lines of base64. */
  public static String encode(Key key) {
    Base64.Encoder b64 = Base64.getEncoder();
    return b64.encodeToString(key.privateKey().getEncoded())
        + "\n"
        + b64.encodeToString(key.publicKey().getEncoded())
        + "\n";
  }

  /** Reads a stored key; IllegalArgumentException naming the key when it is damaged. */
  public static Key decode(String id, String text) {
    if (!isKeyName(id)) {
      throw new IllegalArgumentException(id + ": not a key name (key-<epoch seconds>)");
    }
    String[] lines = text.strip().split("\\s*\n\\s*");
    if (lines.length != 2) {
      throw new IllegalArgumentException(id + ": expected two lines, private and public key");
    }
    try {
      KeyFactory factory = KeyFactory.getInstance("Ed25519");
      Base64.Decoder b64 = Base64.getDecoder();
      return new Key(
          id,
          Instant.ofEpochSecond(Long.parseLong(id.substring("key-".length()))),
          factory.generatePrivate(new PKCS8EncodedKeySpec(b64.decode(lines[0]))),
          factory.generatePublic(new X509EncodedKeySpec(b64.decode(lines[1]))));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException(id + ": not an Ed25519 key pair (" + e.getMessage() + ")");
    }
  }

  /**
   * The keys in {@code dir} (a mounted Secret: every file named like a key; the volume's own dot
   * entries are skipped). A damaged key is an IOException naming the file.
   */
  public static MachineTokenKeys fromDirectory(Path dir) throws IOException {
    List<Key> keys = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> isKeyName(f.getFileName().toString())).toList()) {
        try {
          keys.add(
              decode(
                  file.getFileName().toString(),
                  Files.readString(file, StandardCharsets.US_ASCII)));
        } catch (IllegalArgumentException e) {
          throw new IOException(dir + "/" + e.getMessage(), e);
        }
      }
    }
    return of(keys);
  }

  public boolean isEmpty() {
    return keys.isEmpty();
  }

  public List<String> ids() {
    return List.copyOf(keys.keySet());
  }

  /**
   * The key that signs at {@code now}: the newest one at least {@link #PUBLISH_DELAY} old, or,
   * while every key is younger, the oldest.
   */
  public Key signing(Instant now) {
    if (keys.isEmpty()) {
      throw new IllegalStateException("no machine-token key");
    }
    Comparator<Key> byAge = Comparator.comparing(Key::created);
    return keys.values().stream()
        .filter(k -> !k.created().plus(PUBLISH_DELAY).isAfter(now))
        .max(byAge)
        .orElseGet(() -> keys.values().stream().min(byAge).orElseThrow());
  }

  /** Signs {@code token}, whose {@code key} must be one of these keys. */
  public String sign(MachineToken token) {
    Key key = keys.get(token.key());
    if (key == null) {
      throw new IllegalArgumentException("no key " + token.key());
    }
    String claims = token.encodedClaims();
    try {
      Signature signature = Signature.getInstance("Ed25519");
      signature.initSign(key.privateKey());
      signature.update(claims.getBytes(StandardCharsets.US_ASCII));
      return claims + "." + MachineToken.encode(signature.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed", e);
    }
  }

  /**
   * Checks a token's signature and lifetime. Failures: {@code malformed}, {@code unknown-key} (not
   * one of these keys: forged, another distribution point's, or retired), {@code bad-signature},
   * {@code expired}.
   */
  public Verification verify(String token, Instant now) {
    if (token == null || token.length() > MachineToken.MAX_LENGTH) {
      return new Verification(null, "malformed");
    }
    int dot = token.indexOf('.');
    if (dot <= 0 || dot != token.lastIndexOf('.')) {
      return new Verification(null, "malformed");
    }
    MachineToken claims;
    byte[] sig;
    try {
      claims = MachineToken.readClaims(token.substring(0, dot));
      sig = MachineToken.decode(token.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      return new Verification(null, "malformed");
    }
    Key key = keys.get(claims.key());
    if (key == null) {
      return new Verification(null, "unknown-key");
    }
    try {
      Signature signature = Signature.getInstance("Ed25519");
      signature.initVerify(key.publicKey());
      signature.update(token.substring(0, dot).getBytes(StandardCharsets.US_ASCII));
      if (!signature.verify(sig)) {
        return new Verification(null, "bad-signature");
      }
    } catch (GeneralSecurityException e) {
      return new Verification(null, "bad-signature");
    }
    if (claims.expiredAt(now)) {
      return new Verification(null, "expired");
    }
    return new Verification(claims, null);
  }

  /**
   * The Secret's data after rotation at {@code now}: a first key when there is none, a new key once
   * the newest is {@code rotation} old, and without the keys a newer key has superseded for {@link
   * #RETIRE_AFTER}. Entries that are not keys are dropped; a damaged key is replaced as if absent.
   * Returns {@code current} itself when nothing changes.
   */
  public static Map<String, String> rotate(
      Map<String, String> current, Instant now, Duration rotation) {
    List<Key> valid = new ArrayList<>();
    for (Map.Entry<String, String> e : current.entrySet()) {
      try {
        valid.add(decode(e.getKey(), e.getValue()));
      } catch (IllegalArgumentException damaged) {
        // Left out: the result differs from current, so the Secret is rewritten without it.
      }
    }
    valid.sort(Comparator.comparing(Key::created));
    if (valid.isEmpty() || !valid.get(valid.size() - 1).created().plus(rotation).isAfter(now)) {
      Key fresh = generate(now);
      if (valid.stream().noneMatch(k -> k.id().equals(fresh.id()))) {
        valid.add(fresh);
      }
    }
    Map<String, String> next = new LinkedHashMap<>();
    for (int i = 0; i < valid.size(); i++) {
      Key key = valid.get(i);
      boolean superseded =
          valid.subList(i + 1, valid.size()).stream()
              .anyMatch(newer -> !newer.created().plus(RETIRE_AFTER).isAfter(now));
      if (!superseded) {
        String stored = current.get(key.id());
        next.put(key.id(), stored != null ? stored : encode(key));
      }
    }
    return next.equals(current) ? current : next;
  }

  /** When {@link #rotate} next changes something, after {@code now}. */
  public static Instant nextRotation(Map<String, String> current, Instant now, Duration rotation) {
    List<Instant> created =
        current.keySet().stream()
            .filter(MachineTokenKeys::isKeyName)
            .map(id -> Instant.ofEpochSecond(Long.parseLong(id.substring("key-".length()))))
            .sorted()
            .toList();
    if (created.isEmpty()) {
      return now;
    }
    Instant next = created.get(created.size() - 1).plus(rotation);
    if (created.size() > 1) {
      Instant retire = created.get(1).plus(RETIRE_AFTER);
      if (retire.isBefore(next)) {
        next = retire;
      }
    }
    return next.isBefore(now) ? now : next;
  }
}
