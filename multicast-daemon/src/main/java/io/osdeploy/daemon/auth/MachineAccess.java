package io.osdeploy.daemon.auth;

import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.auth.MachineToken;
import io.osdeploy.auth.MachineTokenKeys;
import io.osdeploy.daemon.policy.PolicyBook;
import io.osdeploy.daemon.policy.PolicyRequest;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What a machine may do after boot, decided by its token: the token names the machine and the
 * deployments it was offered when it identified itself; it may read those deployments' policy,
 * fetch and join the images they apply, report on them and keep its own user state for them,
 * nothing else.
 */
public final class MachineAccess {
  private final MachineTokens tokens;
  private final PolicyBook book;

  public MachineAccess(MachineTokens tokens, PolicyBook book) {
    this.tokens = tokens;
    this.book = book;
  }

  public MachineTokens tokens() {
    return tokens;
  }

  /**
   * A token for a machine that identified itself with {@code request} and was offered {@code
   * offered}; empty when nothing is offered.
   */
  public Optional<String> issue(PolicyRequest request, List<TaskSequenceDeployment> offered) {
    if (offered.isEmpty()) {
      return Optional.empty();
    }
    List<String> names = offered.stream().map(d -> d.getMetadata().getName()).sorted().toList();
    return Optional.of(
        tokens.issue(
            request.mac(),
            request.uuid(),
            request.source().name().toLowerCase(Locale.ROOT),
            names,
            book.imagesOf(names)));
  }

  /**
   * A fresh token for the holder of {@code token}: the deployments of it that still target the
   * machine, and their images now; empty when none does.
   */
  public Optional<String> renew(MachineToken token) {
    List<String> still =
        token.deployments().stream()
            .filter(d -> book.targeting(token.mac(), token.uuid(), d).isPresent())
            .toList();
    return still.isEmpty()
        ? Optional.empty()
        : Optional.of(tokens.renew(token, still, book.imagesOf(still)));
  }

  /** The claims of the request's bearer token, or why it has none that is valid (counted). */
  public MachineTokenKeys.Verification check(String authorization) {
    return tokens.check(authorization);
  }

  /** Whether the token lets its machine fetch or join {@code image}; counted when not. */
  public boolean mayFetch(MachineToken token, String image) {
    return allowed(token.images().contains(image));
  }

  /**
   * Whether the token is this machine's ({@code mac}/{@code uuid} as given in the request, either
   * may be absent) and covers {@code deployment} (null: any of its own); counted when not.
   */
  public boolean mayActFor(MachineToken token, String deployment, String mac, String uuid) {
    boolean sameMachine =
        (mac == null || mac.equals(token.mac())) && (uuid == null || uuid.equals(token.uuid()));
    boolean covered = deployment == null || token.deployments().contains(deployment);
    return allowed(sameMachine && covered);
  }

  /**
   * The deployment {@code deployment} as published, when the token covers it and the deployment's
   * target names the token's machine (an unknown computer is anyone who says so, so it never
   * counts); empty (counted) when not.
   */
  public Optional<TaskSequenceDeployment> targeted(MachineToken token, String deployment) {
    if (deployment == null || !mayActFor(token, deployment, null, null)) {
      return Optional.empty();
    }
    Optional<TaskSequenceDeployment> published =
        book.targeting(token.mac(), token.uuid(), deployment)
            .filter(o -> o.machine() != null)
            .map(o -> o.deployment());
    allowed(published.isPresent());
    return published;
  }

  private boolean allowed(boolean allowed) {
    if (!allowed) {
      tokens.refuse("scope");
    }
    return allowed;
  }

  /** The policy request its token stands for, naming {@code deployment} (may be null). */
  public static PolicyRequest requestOf(MachineToken token, String deployment) {
    return new PolicyRequest(
        token.mac(),
        token.uuid(),
        PolicyRequest.Source.parse(Objects.requireNonNullElse(token.source(), "pxe")),
        deployment);
  }
}
