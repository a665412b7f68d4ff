package io.osdeploy.daemon;

import io.osdeploy.config.DaemonConfig;
import io.osdeploy.daemon.auth.MachineAccess;
import io.osdeploy.daemon.auth.MachineTokens;
import io.osdeploy.daemon.policy.MediaPasswords;
import io.osdeploy.daemon.policy.PolicyBook;
import io.osdeploy.daemon.secrets.DeploymentSecretFiles;
import java.nio.file.Path;

/**
 * Who may ask this node for what: the machine tokens it issues and checks, the boot media and PXE
 * passwords, and the secret values deployments hand their machines. A directory given on the
 * command line wins over the configuration's.
 */
final class AccessComponent implements DaemonComponent {
  private final MachineTokens tokens = new MachineTokens();
  private final MachineAccess access;
  private final MediaPasswords mediaPasswords = new MediaPasswords();
  private final DeploymentSecretFiles deploymentSecrets = new DeploymentSecretFiles();

  /** The key directory of the command line, overriding the configuration's; null: none given. */
  private volatile Path tokenKeys;

  /** The deployment-secrets directory of the command line; null: the configuration's. */
  private volatile Path deploymentSecretsDirectory;

  AccessComponent(PolicyBook policy) {
    this.access = new MachineAccess(tokens, policy);
  }

  void readTokenKeysFrom(Path dir) {
    this.tokenKeys = dir;
    tokens.readKeysFrom(dir);
  }

  void readDeploymentSecretsFrom(Path dir) {
    this.deploymentSecretsDirectory = dir;
    deploymentSecrets.readFrom(dir);
  }

  MachineTokens tokens() {
    return tokens;
  }

  MachineAccess access() {
    return access;
  }

  MediaPasswords mediaPasswords() {
    return mediaPasswords;
  }

  DeploymentSecretFiles deploymentSecrets() {
    return deploymentSecrets;
  }

  @Override
  public void apply(DaemonConfig next) {
    mediaPasswords.publishPxe(next.getPxePasswordHash());
    if (deploymentSecretsDirectory == null) {
      deploymentSecrets.readFrom(
          next.getDeploymentSecretsDirectory() == null
              ? null
              : Path.of(next.getDeploymentSecretsDirectory()));
    }
    if (tokenKeys == null) {
      tokens.readKeysFrom(
          next.getMachineTokenDirectory() == null
              ? null
              : Path.of(next.getMachineTokenDirectory()));
    }
  }

  @Override
  public void close() {
    mediaPasswords.close();
  }
}
