package io.osdeploy.auth;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * The boot media password, kept only as a salted PBKDF2-HMAC-SHA256 hash: {@code
 * pbkdf2-sha256$<iterations>$<salt>$<hash>} with salt and hash in unpadded base64. The operator
 * hashes the Secret's password; a boot server verifies what the machine's user typed against the
 * hash. The plain text is never stored.
 *
 * <p>The hash is one of the media's inputs: the operator salts it with a value fixed for the media
 * (derived from its uid), so the media's inputs digest stays stable while the password does.
 */
public final class MediaPassword {
  public static final String FORMAT_DESCRIPTION = "pbkdf2-sha256$<iterations>$<salt>$<hash>";

  /** OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256. */
  static final int ITERATIONS = 600_000;

  private static final int MIN_ITERATIONS = 10_000;
  private static final int MAX_ITERATIONS = 10_000_000;
  public static final int SALT_BYTES = 16;
  private static final int HASH_BITS = 256;
  private static final Pattern HASH =
      Pattern.compile("pbkdf2-sha256\\$([0-9]{1,8})\\$([A-Za-z0-9+/]{22})\\$([A-Za-z0-9+/]{43})");
  private static final SecureRandom RANDOM = new SecureRandom();

  private MediaPassword() {}

  /** A new hash of {@code password} with a random salt. */
  public static String hash(char[] password) {
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    return hash(password, salt);
  }

  /**
   * The hash of {@code password} with a given salt: the same password and salt give the same hash,
   * so a media's inputs stay the same while its password does.
   */
  public static String hash(char[] password, byte[] salt) {
    if (salt == null || salt.length != SALT_BYTES) {
      throw new IllegalArgumentException("salt: must be " + SALT_BYTES + " bytes");
    }
    return format(ITERATIONS, salt, derive(password, salt, ITERATIONS));
  }

  /** Whether {@code password} is the one {@code hash} was made from; compares in constant time. */
  public static boolean verify(char[] password, String hash) {
    Matcher m = parse(hash);
    int iterations = Integer.parseInt(m.group(1));
    byte[] salt = Base64.getDecoder().decode(m.group(2));
    byte[] expected = Base64.getDecoder().decode(m.group(3));
    byte[] actual = derive(password, salt, iterations);
    return MessageDigest.isEqual(expected, actual);
  }

  /** Whether {@code value} has the form of a hash this class makes. */
  public static boolean isHash(String value) {
    if (value == null) {
      return false;
    }
    Matcher m = HASH.matcher(value);
    if (!m.matches()) {
      return false;
    }
    int iterations = Integer.parseInt(m.group(1));
    return iterations >= MIN_ITERATIONS && iterations <= MAX_ITERATIONS;
  }

  public static String format(int iterations, byte[] salt, byte[] hash) {
    Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
    return "pbkdf2-sha256$"
        + iterations
        + "$"
        + b64.encodeToString(salt)
        + "$"
        + b64.encodeToString(hash);
  }

  private static Matcher parse(String hash) {
    if (!isHash(hash)) {
      throw new IllegalArgumentException(
          "passwordHash: not a MediaPassword hash (expected " + FORMAT_DESCRIPTION + ")");
    }
    Matcher m = HASH.matcher(hash);
    m.matches();
    return m;
  }

  private static byte[] derive(char[] password, byte[] salt, int iterations) {
    if (password == null || password.length == 0) {
      throw new IllegalArgumentException("password: must not be empty");
    }
    PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, HASH_BITS);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java runtime has PBKDF2WithHmacSHA256", e);
    } finally {
      spec.clearPassword();
    }
  }

  /** Overwrites {@code password}, for callers done with it. */
  public static void wipe(char[] password) {
    if (password != null) {
      Arrays.fill(password, '\0');
    }
  }
}
