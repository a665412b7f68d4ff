package io.osdeploy.text;

/**
 * What a client sent, made safe to log and to echo: at most {@link #MAX} characters, control
 * characters (a newline that would forge a log line, terminal escapes) shown as {@code ?}.
 */
public final class LogText {
  public static final int MAX = 128;

  private LogText() {}

  public static String of(Object value) {
    return of(value, MAX);
  }

  /** As {@link #of(Object)}, cut at {@code max} characters. */
  public static String of(Object value, int max) {
    if (value == null) {
      return "null";
    }
    String text = value.toString();
    String cut = text.length() > max ? text.substring(0, max) + "..." : text;
    return cut.replaceAll("\\p{Cntrl}", "?");
  }
}
