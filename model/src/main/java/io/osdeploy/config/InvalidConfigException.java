package io.osdeploy.config;

/** The daemon configuration is not valid; the message names the field. */
public class InvalidConfigException extends Exception {
  public InvalidConfigException(String message) {
    super(message);
  }
}
