package io.osdeploy.daemon.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandler;
import io.osdeploy.api.v1alpha1.MacAddress;
import io.osdeploy.api.v1alpha1.SmbiosUuid;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.auth.MachineToken;
import io.osdeploy.auth.MachineTokenKeys;
import io.osdeploy.daemon.auth.MachineAccess;
import io.osdeploy.daemon.capture.CaptureStore;
import io.osdeploy.daemon.content.VerifiedContent;
import io.osdeploy.daemon.content.VerifiedFile;
import io.osdeploy.daemon.multicast.JoinRefusedException;
import io.osdeploy.daemon.policy.MediaPasswords;
import io.osdeploy.daemon.policy.PolicyRequest;
import io.osdeploy.daemon.progress.AgentReport;
import io.osdeploy.daemon.progress.ProgressCollector;
import io.osdeploy.daemon.secrets.DeploymentSecretFiles;
import io.osdeploy.policy.PolicyDocument;
import io.osdeploy.transfer.wire.JoinTicket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Routes a request to the health, status or content endpoint. */
@ChannelHandler.Sharable
final class DaemonHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(DaemonHttpHandler.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpEndpoints endpoints;
  private final ContentResponder content;
  private final ContentResponder bootFiles;
  private final ContentResponder captures;

  DaemonHttpHandler(HttpEndpoints endpoints) {
    this.endpoints = endpoints;
    this.content = new ContentResponder(endpoints.content(), ContentResponder.PREFIX);
    this.bootFiles =
        new ContentResponder(endpoints.bootEnvironment(), ContentResponder.BOOT_PREFIX);
    this.captures =
        endpoints.captures() == null
            ? null
            : new ContentResponder(
                new VerifiedContent() {
                  @Override
                  public Optional<VerifiedFile> verified(String id) {
                    return endpoints.captures().store().verified(id);
                  }

                  @Override
                  public boolean unicastAllowed(String id) {
                    return true;
                  }
                },
                CaptureStore.PREFIX);
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    if (!request.decoderResult().isSuccess()) {
      Responses.text(ctx, request, HttpResponseStatus.BAD_REQUEST, "malformed request\n");
      return;
    }
    String path;
    try {
      path = new QueryStringDecoder(request.uri()).path();
    } catch (IllegalArgumentException e) {
      Responses.text(ctx, request, HttpResponseStatus.BAD_REQUEST, "malformed path\n");
      return;
    }
    if (ctx.pipeline().get(SslHandler.class) == null
        && endpoints.tlsRequired().getAsBoolean()
        && !servedOverPlainHttp(path, request.method())) {
      if (path.equals("/v1/boot.ipxe")) {
        toHttps(ctx, request);
      } else {
        Responses.text(ctx, request, HttpResponseStatus.FORBIDDEN, PLAIN_HTTP_OFF);
      }
      return;
    }
    if (HttpMethod.POST.equals(request.method()) && path.equals("/v1/status")) {
      report(ctx, request);
      return;
    }
    if (path.equals("/v1/token")) {
      if (HttpMethod.POST.equals(request.method())) {
        token(ctx, request);
      } else {
        Responses.methodNotAllowed(ctx, request, "POST");
      }
      return;
    }
    if (path.equals("/v1/multicast/join")) {
      if (HttpMethod.POST.equals(request.method())) {
        join(ctx, request);
      } else {
        Responses.methodNotAllowed(ctx, request, "POST");
      }
      return;
    }
    if (!HttpMethod.GET.equals(request.method()) && !HttpMethod.HEAD.equals(request.method())) {
      Responses.methodNotAllowed(
          ctx, request, path.equals("/v1/status") ? "GET, HEAD, POST" : "GET, HEAD");
      return;
    }
    if (path.startsWith(ContentResponder.PREFIX)) {
      MachineToken token = bearer(ctx, request);
      if (token == null) {
        return;
      }
      String image = path.substring(ContentResponder.PREFIX.length());
      // A malformed name is answered as malformed; a well-formed one must be the machine's.
      if (ContentResponder.isImageName(image) && !endpoints.access().mayFetch(token, image)) {
        forbidden(ctx, request, "image " + image + " is not applied by this machine's deployments");
        return;
      }
      content.respond(ctx, request, path);
      return;
    }
    if (path.startsWith(ContentResponder.BOOT_PREFIX)) {
      bootFiles.respond(ctx, request, path);
      return;
    }
    if (path.startsWith(CaptureStore.PREFIX) && captures != null) {
      // No token: the id, which only the deployment's status shows, is the key.
      captures.respond(ctx, request, path);
      return;
    }
    switch (path) {
      case "/healthz" -> Responses.text(ctx, request, HttpResponseStatus.OK, "ok\n");
      case "/readyz" -> {
        if (endpoints.ready().getAsBoolean()) {
          Responses.text(ctx, request, HttpResponseStatus.OK, "ready\n");
        } else {
          Responses.text(
              ctx,
              request,
              HttpResponseStatus.SERVICE_UNAVAILABLE,
              "not ready: waiting for a valid configuration\n");
        }
      }
      case "/v1/status" -> Responses.json(ctx, request, statusJson());
      case "/metrics" ->
          Responses.send(
              ctx,
              request,
              HttpResponseStatus.OK,
              endpoints.metrics().get().getBytes(java.nio.charset.StandardCharsets.UTF_8),
              "text/plain; version=0.0.4; charset=utf-8");
      case "/v1/policy" -> policy(ctx, request);
      case "/v1/boot.ipxe" -> bootScript(ctx, request);
      case "/v1/secrets" -> secrets(ctx, request);
      default -> Responses.text(ctx, request, HttpResponseStatus.NOT_FOUND, "not found\n");
    }
  }

  static final String PLAIN_HTTP_OFF =
      "plain HTTP is off on this distribution point (spec.tls.required): use its HTTPS endpoint\n";

  /** What plain HTTP still serves with spec.tls.required: probes, metrics, boot files. */
  private static boolean servedOverPlainHttp(String path, HttpMethod method) {
    boolean read = HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method);
    return read
        && (path.equals("/healthz")
            || path.equals("/readyz")
            || path.equals("/metrics")
            || path.equals("/v1/status")
            || path.startsWith(ContentResponder.BOOT_PREFIX));
  }

  private static final java.util.regex.Pattern MEDIA_NAME =
      java.util.regex.Pattern.compile(
          "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(/[a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$");

  /**
   * With plain HTTP off, the boot script asked over HTTP sends iPXE on to the node's HTTPS
   * endpoint, where it gets its script and token; every value in it has been validated.
   */
  private void toHttps(ChannelHandlerContext ctx, FullHttpRequest request) {
    QueryStringDecoder query = new QueryStringDecoder(request.uri());
    PolicyRequest asked = machine(ctx, request, query, () -> PolicyRequest.Source.PXE);
    if (asked == null) {
      return;
    }
    String media = param(query, "media");
    if (media != null && !MEDIA_NAME.matcher(media).matches()) {
      Responses.text(ctx, request, HttpResponseStatus.BAD_REQUEST, "media: not a media name\n");
      return;
    }
    String https = endpoints.status().get().getHttpsEndpoint();
    if (https == null) {
      Responses.text(
          ctx,
          request,
          HttpResponseStatus.SERVICE_UNAVAILABLE,
          "this node serves no HTTPS yet, and plain HTTP is off (spec.tls.required)\n");
      return;
    }
    Responses.text(
        ctx,
        request,
        HttpResponseStatus.OK,
        "#!ipxe\n"
            + "echo osdeploy: this distribution point serves machines over HTTPS only\n"
            + "chain --replace "
            + https
            + "/v1/boot.ipxe?"
            + identityQuery(asked, media)
            + " || exit 1\n");
  }

  /**
   * {@code /v1/policy?mac=..&uuid=..&source=client|media|pxe[&deployment=..][&media=..]}: a media
   * that pins a deployment asks for that one.
   */
  private void policy(ChannelHandlerContext ctx, FullHttpRequest request) {
    QueryStringDecoder query = new QueryStringDecoder(request.uri());
    PolicyRequest named;
    try {
      // The query's machine must be the token's; the token says where it booted from.
      named =
          new PolicyRequest(
              param(query, "mac"),
              param(query, "uuid"),
              PolicyRequest.Source.CLIENT,
              param(query, "deployment"));
    } catch (IllegalArgumentException e) {
      if (!e.getMessage().startsWith("mac or uuid")) {
        Responses.text(ctx, request, HttpResponseStatus.BAD_REQUEST, e.getMessage() + "\n");
        return;
      }
      named = null;
    }
    MachineToken token = bearer(ctx, request);
    if (token == null) {
      return;
    }
    String deployment = named == null ? param(query, "deployment") : named.deployment();
    if (!endpoints
        .access()
        .mayActFor(
            token,
            deployment,
            named == null ? null : named.mac(),
            named == null ? null : named.uuid())) {
      forbidden(ctx, request, "this machine's token does not cover what was asked");
      return;
    }
    PolicyDocument answer =
        endpoints
            .policy()
            .apply(MachineAccess.requestOf(token, deployment))
            .onlyThose(token.deployments());
    try {
      Responses.json(ctx, request, JSON.writeValueAsBytes(answer));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a policy document always serializes", e);
    }
  }

  /**
   * {@code GET /v1/secrets?deployment=..&step=..}, over HTTPS only: the Secret values step {@code
   * step} of the deployment hands its machines (the local Administrator's password, a domain
   * account), as JSON, only to a machine the published deployment names in its target, with its own
   * token for it. The answer is never cached or logged; 503 while the values have not reached this
   * node.
   */
  private void secrets(ChannelHandlerContext ctx, FullHttpRequest request) {
    if (!HttpMethod.GET.equals(request.method())) {
      Responses.methodNotAllowed(ctx, request, "GET");
      return;
    }
    // The values cross the LAN only encrypted, whatever spec.tls.required says.
    if (ctx.pipeline().get(SslHandler.class) == null) {
      forbidden(ctx, request, "secrets travel only over HTTPS: ask this node's HTTPS endpoint");
      return;
    }
    MachineToken token = bearer(ctx, request);
    if (token == null) {
      return;
    }
    QueryStringDecoder query = new QueryStringDecoder(request.uri());
    String deployment = param(query, "deployment");
    int step;
    try {
      step = Integer.parseInt(java.util.Objects.requireNonNullElse(param(query, "step"), ""));
    } catch (NumberFormatException e) {
      Responses.text(ctx, request, HttpResponseStatus.BAD_REQUEST, "step: a step's index\n");
      return;
    }
    Optional<TaskSequenceDeployment> published =
        endpoints.secrets() == null
            ? Optional.empty()
            : endpoints.access().targeted(token, deployment);
    if (published.isEmpty()) {
      forbidden(ctx, request, "this machine's token is not for the secrets of that deployment");
      return;
    }
    DeploymentSecretFiles.Answer answer;
    try {
      answer = endpoints.secrets().forStep(published.get(), step);
    } catch (java.io.IOException e) {
      log.error("deployment secrets: cannot read them: {}", e.getMessage());
      answer = new DeploymentSecretFiles.NotYet(List.of());
    }
    if (answer instanceof DeploymentSecretFiles.Values values) {
      log.info(
          "deployment secrets: {} of {} step {} handed to {}",
          values.values().keySet(),
          deployment,
          step,
          token.machine());
      try {
        Responses.secretJson(ctx, request, JSON.writeValueAsBytes(values.values()));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("a map of strings always serializes", e);
      }
    } else if (answer instanceof DeploymentSecretFiles.NotYet notYet) {
      Responses.tryAgain(
          ctx,
          request,
          10,
          "the secrets of "
              + deployment
              + " step "
              + step
              + " have not reached this node yet "
              + notYet.missing()
              + "; try again\n");
    } else {
      Responses.text(
          ctx,
          request,
          HttpResponseStatus.NOT_FOUND,
          "step: step " + step + " of " + deployment + " hands its machines no secret\n");
    }
  }

  /**
   * {@code POST /v1/token}: with a valid token as {@code Authorization: Bearer}, a renewed one;
   * else {@code ?mac=..&uuid=..&source=..[&deployment=..][&media=..]} identifies the machine as its
   * boot script does (the media's password by Basic authentication where the media has one) and
   * gets a token for the deployments offered to it. 404 when none is.
   */
  private void token(ChannelHandlerContext ctx, FullHttpRequest request) {
    String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      MachineToken held = bearer(ctx, request);
      if (held == null) {
        return;
      }
      endpoints
          .access()
          .renew(held)
          .ifPresentOrElse(
              t -> tokenAnswer(ctx, request, t),
              () ->
                  forbidden(
                      ctx,
                      request,
                      "no deployment of this token targets " + held.machine() + " now"));
      return;
    }
    QueryStringDecoder query = new QueryStringDecoder(request.uri());
    PolicyRequest asked =
        machine(ctx, request, query, () -> PolicyRequest.Source.parse(param(query, "source")));
    if (asked == null) {
      return;
    }
    String media = param(query, "media");
    PolicyRequest pinned = endpoints.media().apply(asked, media);
    boolean pxePassword =
        asked.source() == PolicyRequest.Source.PXE && endpoints.mediaPasswords().pxeRequired();
    if (!pxePassword && !endpoints.mediaPasswords().required(media)) {
      issue(ctx, request, pinned);
      return;
    }
    withPassword(ctx, request, pxePassword, media, head -> issue(ctx, head, pinned));
  }

  /**
   * Goes on with {@code admitted} once the request's Basic password is the site PXE password (with
   * {@code pxe}) or {@code media}'s; otherwise answers 401, or 503 while too many checks wait. The
   * check runs on another thread: {@code admitted} gets the request's head, which outlives its
   * body.
   */
  private void withPassword(
      ChannelHandlerContext ctx,
      FullHttpRequest request,
      boolean pxe,
      String media,
      java.util.function.Consumer<HttpRequest> admitted) {
    String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
    HttpRequest head = new DefaultHttpRequest(request.protocolVersion(), request.method(), "/");
    head.headers().set(request.headers());
    (pxe
            ? endpoints.mediaPasswords().admitsPxe(authorization)
            : endpoints.mediaPasswords().admits(media, authorization))
        .whenComplete(
            (ok, error) -> {
              if (error == null && ok) {
                admitted.accept(head);
              } else {
                refused(ctx, head, error);
              }
            });
  }

  /** A password refused (401), or not checked because too many checks wait (503). */
  private static void refused(ChannelHandlerContext ctx, HttpRequest request, Throwable error) {
    Throwable cause =
        error instanceof java.util.concurrent.CompletionException ? error.getCause() : error;
    if (cause instanceof MediaPasswords.Busy) {
      Responses.text(
          ctx,
          request,
          HttpResponseStatus.SERVICE_UNAVAILABLE,
          "too many password checks are waiting; try again\n");
    } else {
      Responses.unauthorized(ctx, request, "osdeploy");
    }
  }

  private void issue(ChannelHandlerContext ctx, HttpRequest request, PolicyRequest pinned) {
    endpoints
        .access()
        .issue(pinned, endpoints.offered().apply(pinned))
        .ifPresentOrElse(
            t -> tokenAnswer(ctx, request, t),
            () ->
                Responses.text(
                    ctx,
                    request,
                    HttpResponseStatus.NOT_FOUND,
                    "no deployment is offered to "
                        + (pinned.mac() != null ? pinned.mac() : pinned.uuid())
                        + "\n"));
  }

  private static void tokenAnswer(ChannelHandlerContext ctx, HttpRequest request, String token) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("token", token);
    body.put("expiresInSeconds", MachineTokenKeys.TOKEN_LIFETIME.toSeconds());
    try {
      Responses.json(ctx, request, JSON.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a token answer always serializes", e);
    }
  }

  /**
   * The claims of the request's bearer token; null once 401 is answered for a missing or invalid
   * one.
   */
  private MachineToken bearer(ChannelHandlerContext ctx, HttpRequest request) {
    MachineTokenKeys.Verification v =
        endpoints.access().check(request.headers().get(HttpHeaderNames.AUTHORIZATION));
    if (v.valid()) {
      return v.token();
    }
    Responses.bearerRequired(
        ctx,
        request,
        v.failure().equals("missing")
            ? "a machine token is required (Authorization: Bearer; from the boot script or POST"
                + " /v1/token)"
            : "the machine token is " + v.failure().replace('-', ' '));
    return null;
  }

  private static void forbidden(ChannelHandlerContext ctx, HttpRequest request, String why) {
    Responses.text(ctx, request, HttpResponseStatus.FORBIDDEN, why + "\n");
  }

  /**
   * {@code /v1/boot.ipxe?mac=..&uuid=..[&media=..][&deployment=..]}: iPXE on media names the media;
   * without it the request comes from PXE.
   */
  private void bootScript(ChannelHandlerContext ctx, FullHttpRequest request) {
    QueryStringDecoder query = new QueryStringDecoder(request.uri());
    PolicyRequest asked =
        machine(
            ctx,
            request,
            query,
            () ->
                param(query, "media") != null
                    ? PolicyRequest.Source.MEDIA
                    : PolicyRequest.Source.PXE);
    if (asked == null) {
      return;
    }
    String media = param(query, "media");
    PolicyRequest pinned = endpoints.media().apply(asked, media);
    // Asked over HTTPS, the script names this node's HTTPS endpoint for what follows.
    boolean secure = ctx.pipeline().get(SslHandler.class) != null;
    String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
    boolean pxePassword = media == null && endpoints.mediaPasswords().pxeRequired();
    if (!pxePassword && !endpoints.mediaPasswords().required(media)) {
      Responses.text(
          ctx, request, HttpResponseStatus.OK, endpoints.bootScript().apply(pinned, secure));
      return;
    }
    if (pxePassword && authorization == null && param(query, "login") == null) {
      // PXE's iPXE has no password to send: a script that asks for it and comes back with it.
      String host = request.headers().get(HttpHeaderNames.HOST);
      if (host == null
          || !host.matches("^([A-Za-z0-9.-]{1,253}|\\[[0-9A-Fa-f:]{2,45}\\])(:[0-9]{1,5})?$")) {
        Responses.text(ctx, request, HttpResponseStatus.BAD_REQUEST, "Host: required\n");
        return;
      }
      Responses.text(ctx, request, HttpResponseStatus.OK, pxeLogin(secure, host, asked));
      return;
    }
    // A password: iPXE sends it by Basic authentication once asked with a 401.
    withPassword(
        ctx,
        request,
        pxePassword,
        media,
        head ->
            Responses.text(
                ctx, head, HttpResponseStatus.OK, endpoints.bootScript().apply(pinned, secure)));
  }

  /**
   * The script a machine booting by PXE gets first where the site has a PXE password: iPXE's login
   * screen, then the boot script again with the password in the URL's credentials (sent once the
   * server asks). Every value in it has been validated.
   */
  private static String pxeLogin(boolean secure, String host, PolicyRequest asked) {
    return "#!ipxe\n"
        + "echo osdeploy: this site asks for its PXE password\n"
        + "set username "
        + MediaPasswords.USER
        + "\n"
        + "login || exit 1\n"
        + "chain --replace "
        + (secure ? "https://" : "http://")
        + MediaPasswords.USER
        + ":${password:uristring}@"
        + host
        + "/v1/boot.ipxe?"
        + identityQuery(asked, null)
        + "&login=1 || exit 1\n";
  }

  /**
   * {@code POST /v1/status}: an agent's progress report, as JSON. 202 once it is journaled; 404 for
   * a deployment this distribution point does not publish, 403 for one not meant for this machine,
   * 503 when it could not be stored (send it again).
   */
  private void report(ChannelHandlerContext ctx, FullHttpRequest request) {
    AgentReport report;
    try {
      byte[] body = new byte[request.content().readableBytes()];
      request.content().readBytes(body);
      report = AgentReport.parse(body);
    } catch (IllegalArgumentException e) {
      Responses.text(ctx, request, HttpResponseStatus.BAD_REQUEST, e.getMessage() + "\n");
      return;
    }
    MachineToken token = bearer(ctx, request);
    if (token == null) {
      return;
    }
    if (!endpoints.access().mayActFor(token, report.deployment(), report.mac(), report.uuid())) {
      forbidden(
          ctx,
          request,
          "this machine's token is not for reports on "
              + report.deployment()
              + " from "
              + report.machine());
      return;
    }
    // The request's content is released when this method returns; its headers stay readable.
    HttpRequest head = new DefaultHttpRequest(request.protocolVersion(), request.method(), "/");
    head.headers().set(request.headers());
    endpoints
        .progress()
        .apply(report)
        .whenComplete(
            (outcome, error) -> {
              if (error != null) {
                log.warn("progress report for {} failed", report.deployment(), error);
              }
              switch (error != null ? ProgressCollector.Outcome.NOT_STORED : outcome) {
                case ACCEPTED ->
                    Responses.text(ctx, head, HttpResponseStatus.ACCEPTED, "accepted\n");
                case UNKNOWN_DEPLOYMENT ->
                    Responses.text(
                        ctx,
                        head,
                        HttpResponseStatus.NOT_FOUND,
                        "deployment: this distribution point publishes no deployment "
                            + report.deployment()
                            + "\n");
                case NOT_TARGETED ->
                    Responses.text(
                        ctx,
                        head,
                        HttpResponseStatus.FORBIDDEN,
                        "deployment: "
                            + report.deployment()
                            + " is not for machine "
                            + report.machine()
                            + "\n");
                case NOT_STORED ->
                    Responses.text(
                        ctx,
                        head,
                        HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "the report could not be stored; send it again\n");
                case BUSY ->
                    Responses.text(
                        ctx,
                        head,
                        HttpResponseStatus.SERVICE_UNAVAILABLE,
                        ProgressCollector.MAX_WAITING
                            + " reports are waiting to be stored; send it again\n");
                case TOO_MANY_UNKNOWN ->
                    Responses.text(
                        ctx,
                        head,
                        HttpResponseStatus.TOO_MANY_REQUESTS,
                        "deployment: "
                            + report.deployment()
                            + " already has reports from "
                            + ProgressCollector.MAX_UNKNOWN_MACHINES
                            + " unknown computers on this node\n");
              }
            });
  }

  /**
   * {@code POST /v1/multicast/join?image=..[&client=..]}: the receiver's ticket for a session of
   * the image (group, port, secrets, section digests, SHA-256). The only place session secrets
   * travel. The receiver is the machine the token names; {@code client}, when given, must name it
   * too, so one token holds one ticket per image.
   */
  private void join(ChannelHandlerContext ctx, FullHttpRequest request) {
    QueryStringDecoder query = new QueryStringDecoder(request.uri());
    String image = param(query, "image");
    String client = param(query, "client");
    if (image == null
        || !image.matches("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
        || image.length() > 253) {
      Responses.text(ctx, request, HttpResponseStatus.BAD_REQUEST, "image: not an image name\n");
      return;
    }
    if (client != null && (client.isBlank() || client.length() > 128)) {
      Responses.text(
          ctx, request, HttpResponseStatus.BAD_REQUEST, "client: at most 128 characters\n");
      return;
    }
    MachineToken token = bearer(ctx, request);
    if (token == null) {
      return;
    }
    if (!endpoints.access().mayFetch(token, image)) {
      forbidden(ctx, request, "image " + image + " is not applied by this machine's deployments");
      return;
    }
    String machine = token.mac() != null ? token.mac() : token.uuid();
    if (client != null && !sameMachine(client, token)) {
      forbidden(ctx, request, "client " + client + " is not the machine this token was issued to");
      return;
    }
    InetAddress from = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
    try {
      JoinTicket ticket = endpoints.multicastJoin().join(image, machine, from);
      Responses.json(ctx, request, JSON.writeValueAsBytes(ticket));
    } catch (JoinRefusedException e) {
      HttpResponseStatus status =
          e.reason() == JoinRefusedException.Reason.UNKNOWN_IMAGE
              ? HttpResponseStatus.NOT_FOUND
              : HttpResponseStatus.SERVICE_UNAVAILABLE;
      Responses.text(ctx, request, status, e.getMessage() + "\n");
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a ticket always serializes", e);
    }
  }

  /**
   * Whether a client id names the token's machine: its MAC or its SMBIOS UUID, in any spelling the
   * boot and token requests take.
   */
  private static boolean sameMachine(String client, MachineToken token) {
    if (token.mac() != null && token.mac().equals(MacAddress.normalize(client))) {
      return true;
    }
    try {
      return token.uuid() != null && token.uuid().equals(SmbiosUuid.parse(client, "client"));
    } catch (IllegalArgumentException notAUuid) {
      return false;
    }
  }

  /**
   * The machine a boot or token request names, from {@code source}; null once 400 is answered for a
   * bad MAC, UUID, deployment or source.
   */
  private static PolicyRequest machine(
      ChannelHandlerContext ctx,
      FullHttpRequest request,
      QueryStringDecoder query,
      java.util.function.Supplier<PolicyRequest.Source> source) {
    try {
      return new PolicyRequest(
          param(query, "mac"), param(query, "uuid"), source.get(), param(query, "deployment"));
    } catch (IllegalArgumentException e) {
      Responses.text(ctx, request, HttpResponseStatus.BAD_REQUEST, e.getMessage() + "\n");
      return null;
    }
  }

  /** The validated identity of a boot request, as a query to send it on with. */
  private static String identityQuery(PolicyRequest asked, String media) {
    StringBuilder q = new StringBuilder();
    if (asked.mac() != null) {
      q.append("&mac=").append(asked.mac());
    }
    if (asked.uuid() != null) {
      q.append("&uuid=").append(asked.uuid());
    }
    if (asked.deployment() != null) {
      q.append("&deployment=").append(asked.deployment());
    }
    if (media != null) {
      q.append("&media=").append(media);
    }
    return q.substring(1);
  }

  private static String param(QueryStringDecoder query, String name) {
    List<String> values = query.parameters().get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  private byte[] statusJson() {
    try {
      return JSON.writeValueAsBytes(endpoints.status().get());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a NodeStatus always serializes", e);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException) {
      // Clients going away mid-transfer (reset, broken pipe) is ordinary for downloads.
      log.debug(
          "HTTP connection from {} ended: {}", ctx.channel().remoteAddress(), cause.toString());
    } else {
      log.warn("HTTP connection from {} failed", ctx.channel().remoteAddress(), cause);
    }
    ctx.close();
  }
}
