package io.osdeploy.daemon.http;

/**
 * What a request's {@code Range} header asks of a file of a known size (RFC 9110, section 14): the
 * whole file, one byte range, or nothing that can be served.
 */
public sealed interface RangeRequest {
  /** Serve the whole file (200). */
  record Whole() implements RangeRequest {}

  /** Serve bytes {@code first} to {@code last}, both inclusive (206). */
  record Part(long first, long last) implements RangeRequest {
    public long length() {
      return last - first + 1;
    }
  }

  /** Answer 416 with the file's size. */
  record Unsatisfiable() implements RangeRequest {}
}
