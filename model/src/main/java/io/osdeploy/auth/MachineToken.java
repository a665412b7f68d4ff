package io.osdeploy.auth;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * What a distribution point vouches for when it hands a booting machine its token: which machine
 * (MAC and/or SMBIOS UUID), how it identified itself ({@code pxe}, {@code media} or {@code
 * client}), the deployments it was offered, the images those deployments apply, and until when. A
 * token is {@code base64url(claims JSON) "." base64url(Ed25519 signature of the first part)};
 * {@link MachineTokenKeys} signs and verifies it.
 *
 * @param key the signing key's id, so that a verifier picks the right one while keys rotate
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MachineToken(
    @JsonProperty("kid") String key,
    @JsonProperty("mac") String mac,
    @JsonProperty("uuid") String uuid,
    @JsonProperty("src") String source,
    @JsonProperty("dep") List<String> deployments,
    @JsonProperty("img") List<String> images,
    @JsonProperty("iat") long issuedAt,
    @JsonProperty("exp") long expiresAt) {
  /** Longer than any token this project issues: what is longer is refused unread. */
  public static final int MAX_LENGTH = 4096;

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  public MachineToken {
    if (mac == null && uuid == null) {
      throw new IllegalArgumentException("a machine token names a MAC or a UUID");
    }
    Objects.requireNonNull(key, "key");
    deployments = deployments == null ? List.of() : List.copyOf(deployments);
    images = images == null ? List.of() : List.copyOf(images);
  }

  /** The machine's key among reports and user state: its MAC, or its UUID when it has no MAC. */
  public String machine() {
    return mac != null ? mac : uuid;
  }

  public boolean expiredAt(Instant now) {
    return now.getEpochSecond() >= expiresAt;
  }

  /** The same claims, signed by another key and valid over another span. */
  public MachineToken reissued(
      String newKey, List<String> nowDeployments, List<String> nowImages, Instant now, long ttl) {
    return new MachineToken(
        newKey,
        mac,
        uuid,
        source,
        nowDeployments,
        nowImages,
        now.getEpochSecond(),
        now.getEpochSecond() + ttl);
  }

  /** The signed part of the token: the claims as base64url JSON. */
  String encodedClaims() {
    try {
      return B64.encodeToString(JSON.writeValueAsBytes(this));
    } catch (IOException e) {
      throw new IllegalStateException("claims always serialize", e);
    }
  }

  static String encode(byte[] bytes) {
    return B64.encodeToString(bytes);
  }

  /** The claims of a token, unverified; IllegalArgumentException when it is no token at all. */
  static MachineToken readClaims(String encoded) {
    try {
      return JSON.readValue(
          B64D.decode(encoded.getBytes(StandardCharsets.US_ASCII)), MachineToken.class);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not a machine token");
    }
  }

  static byte[] decode(String encoded) {
    return B64D.decode(encoded.getBytes(StandardCharsets.US_ASCII));
  }
}
