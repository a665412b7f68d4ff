package io.osdeploy.daemon.content;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.osdeploy.api.v1alpha1.ImageState;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DownloadFailureTest {
  private static final URI SOURCE =
      URI.create("https://images.example.com:8443/win11.wim?token=s3cret");

  @Test
  void noSpaceLeftOnDeviceIsDiskFull() {
    IOException full =
        new FileSystemException("/content/img/abc.partial", null, "No space left on device");
    DownloadFailure failure = DownloadFailure.disk(Path.of("/content/img/abc.partial"), full);
    assertEquals(ImageState.DISK_FULL, failure.reason());
    assertEquals(
        "/content/img/abc.partial: /content/img/abc.partial: No space left on device",
        failure.getMessage());
  }

  @Test
  void diskFullIsFoundInTheCauseChain() {
    IOException wrapped =
        new IOException("write failed", new IOException("No space left on device"));
    assertEquals(ImageState.DISK_FULL, DownloadFailure.disk(Path.of("/c"), wrapped).reason());
  }

  @Test
  void otherDiskProblemsAreWriteErrors() {
    IOException denied = new java.nio.file.AccessDeniedException("/content/img");
    assertEquals(
        ImageState.WRITE_ERROR, DownloadFailure.disk(Path.of("/content/img"), denied).reason());
  }

  @Test
  void networkFailuresAreSourceUnreachableAndNameOnlyTheHost() {
    ConnectException dns = new ConnectException();
    dns.initCause(new UnresolvedAddressException());
    DownloadFailure unresolved = DownloadFailure.unreachable(SOURCE, dns);
    assertEquals(ImageState.SOURCE_UNREACHABLE, unresolved.reason());
    assertEquals("cannot resolve images.example.com", unresolved.getMessage());

    DownloadFailure timeout =
        DownloadFailure.unreachable(SOURCE, new HttpConnectTimeoutException("timed out"));
    assertEquals("connecting to images.example.com:8443 timed out", timeout.getMessage());

    DownloadFailure refused = DownloadFailure.unreachable(SOURCE, new ConnectException());
    assertEquals("cannot connect to images.example.com:8443", refused.getMessage());
    assertFalse(refused.getMessage().contains("token"));
  }

  @Test
  void httpErrorsAreSourceErrorsWithTheStatus() {
    DownloadFailure failure = DownloadFailure.httpStatus(SOURCE, 403);
    assertEquals(ImageState.SOURCE_ERROR, failure.reason());
    assertEquals("HTTP 403 from images.example.com:8443", failure.getMessage());
  }

  @Test
  void onlyContentMismatchesCountAsSuch() {
    assertTrue(DownloadFailure.checksum("a", "b").contentMismatch());
    assertTrue(DownloadFailure.size(1, 2, "the source has").contentMismatch());
    assertFalse(DownloadFailure.httpStatus(SOURCE, 500).contentMismatch());
  }
}
