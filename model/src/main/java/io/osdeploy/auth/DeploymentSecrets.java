package io.osdeploy.auth;

import io.osdeploy.api.v1alpha1.Step;
import io.osdeploy.api.v1alpha1.TaskSequenceDeploymentSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The Secret values a deployment's steps hand to its machines (the local Administrator's password,
 * the account that joins a domain), and where each travels: the operator copies each value into its
 * distribution points' deployment-secrets Secret under {@link Entry#entry()}, the daemons read them
 * from there (mounted, never through the API), and a machine gets those of a step only with its own
 * token for that deployment.
 */
public final class DeploymentSecrets {
  private DeploymentSecrets() {}

  /** What applyWindowsSettings' password is called in the answer the machine gets. */
  public static final String ADMINISTRATOR_PASSWORD = "administratorPassword";

  /** What joinDomain's account is called in the answer the machine gets. */
  public static final String USERNAME = "username";

  public static final String PASSWORD = "password";

  /**
   * One value: step {@code step}'s {@code name}, read from key {@code key} of Secret {@code
   * secret}, named in the spec at {@code field}.
   */
  public record Entry(int step, String name, String secret, String key, String field) {
    /**
     * Its key in a distribution point's deployment-secrets Secret, {@code
     * <deployment>.<step>.<name>}: unambiguous, as a step is a number and a name has no dot.
     */
    public String entry(String deployment) {
      return DeploymentSecrets.key(deployment, step, name);
    }
  }

  /** The label a Secret needs, besides the operator's, before a deployment may hand its values. */
  public static final String LABEL = "osdeploy.io/deployment-secret";

  /** The longest key a Secret may have (a DNS subdomain). */
  public static final int MAX_KEY_CHARS = 253;

  /** The longest password Windows setup takes for the Administrator. */
  public static final int MAX_ADMINISTRATOR_PASSWORD_CHARS = 127;

  /** The longest value of any other name. */
  public static final int MAX_VALUE_CHARS = 256;

  /**
   * What is wrong with {@code value} for entry {@code e} of {@code deployment}, or null: too long
   * for Windows, a control character (answer files cannot hold one; a trailing newline from {@code
   * kubectl create secret --from-file} is the usual one), or a key too long for a Secret.
   */
  public static String problem(String deployment, Entry e, String value) {
    int max =
        e.name().equals(ADMINISTRATOR_PASSWORD)
            ? MAX_ADMINISTRATOR_PASSWORD_CHARS
            : MAX_VALUE_CHARS;
    if (value.length() > max) {
      return "the value of key " + e.key() + " is longer than " + max + " characters";
    }
    if (value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      return "the value of key "
          + e.key()
          + " has a control character (a trailing newline?), which an answer file cannot hold";
    }
    if (e.entry(deployment).length() > MAX_KEY_CHARS) {
      return "the deployment's name is too long to file its values under "
          + e.entry(deployment)
          + " (at most "
          + MAX_KEY_CHARS
          + " characters)";
    }
    return null;
  }

  public static String key(String deployment, int step, String name) {
    return deployment + "." + step + "." + name;
  }

  /** The values the deployment's steps need, in step order. */
  public static List<Entry> of(TaskSequenceDeploymentSpec spec) {
    List<Entry> entries = new ArrayList<>();
    if (spec == null || spec.getTaskSequence() == null) {
      return entries;
    }
    List<Step> steps = spec.getTaskSequence().getSteps();
    for (int i = 0; steps != null && i < steps.size(); i++) {
      Step step = steps.get(i);
      String prefix = "spec.taskSequence.steps[" + i + "].";
      Step.ApplyWindowsSettings settings = step.getApplyWindowsSettings();
      if (settings != null && settings.getAdministratorPassword() != null) {
        var ref = settings.getAdministratorPassword();
        entries.add(
            new Entry(
                i,
                ADMINISTRATOR_PASSWORD,
                ref.getName(),
                ref.getKey() == null ? "password" : ref.getKey(),
                prefix + "applyWindowsSettings.administratorPassword"));
      }
      Step.JoinDomain join = step.getJoinDomain();
      if (join != null && join.getAccount() != null) {
        String field = prefix + "joinDomain.account";
        String secret = join.getAccount().getName();
        entries.add(new Entry(i, USERNAME, secret, USERNAME, field));
        entries.add(new Entry(i, PASSWORD, secret, PASSWORD, field));
      }
    }
    return entries;
  }
}
