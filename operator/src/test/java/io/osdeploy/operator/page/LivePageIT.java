package io.osdeploy.operator.page;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.operator.testing.DaemonStatusWrite;
import io.osdeploy.operator.testing.OperatorTests;
import io.osdeploy.operator.testing.PageBrowser;
import io.osdeploy.operator.testing.TestCluster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/**
 * The live page against a real API server with the operator running: what the page streams when a
 * distribution point's daemon writes a machine's report, how soon, in a real browser and from the
 * keyboard, and what it refuses (writes, foreign host names, more streams than its bound) and never
 * shows (Secrets' names and the like).
 */
class LivePageIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MAC = "52:54:00:aa:00:01";
  private static final String MEDIA_PASSWORD = "media-Pa55-on-no-page";
  private static final String ADMIN_PASSWORD = "admin-Pa55-on-no-page";

  @RegisterExtension
  static LocallyRunOperatorExtension operator = OperatorTests.operator(TestCluster.newClient());

  private final KubernetesClient client = TestCluster.client();
  private final HttpClient http = HttpClient.newHttpClient();
  private LivePage page;
  private String base;

  @BeforeEach
  void start() throws IOException {
    page =
        LivePage.start(
            client, Set.of(operator.getNamespace()), "127.0.0.1", 0, Set.of("site.example"));
    base = "http://127.0.0.1:" + page.address().getPort();
  }

  @AfterEach
  void stop() {
    page.close();
    OperatorTests.deleteAll(client, operator.getNamespace(), TaskSequenceDeployment.class);
  }

  private void apply(String yaml) {
    for (HasMetadata item :
        client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()) {
      client.resource(item).inNamespace(operator.getNamespace()).createOr(r -> r.update());
    }
  }

  private static final String SITE =
      String.join(
          "\n",
          "apiVersion: osdeploy.io/v1alpha1",
          "kind: TaskSequenceDeployment",
          "metadata: {name: lab}",
          "spec:",
          "  taskSequence:",
          "    steps:",
          "      - name: Partition disk",
          "        partitionDisk: {scheme: Gpt}",
          "      - name: Set up",
          "        applyWindowsSettings:",
          "          administratorPassword: {name: lab-admin-secret, key: password}",
          "      - name: Check hardware",
          "        runCommand: {command: 'exit 3'}",
          "  target:",
          "    machines:",
          "      - {name: lab-01, mac: '" + MAC + "'}",
          "      - {name: lab-02, mac: '52:54:00:aa:00:02'}",
          "  availability: MediaAndPxe",
          "  purpose: Required",
          "  distributionPoints: [hall]",
          "---",
          "apiVersion: osdeploy.io/v1alpha1",
          "kind: DistributionPoint",
          "metadata: {name: hall}",
          "spec:",
          "  osImages: {names: [lab-image]}",
          "---",
          "apiVersion: osdeploy.io/v1alpha1",
          "kind: OSImage",
          "metadata: {name: lab-image}",
          "spec:",
          "  source: {url: 'http://127.0.0.1:9/lab.img'}",
          "  sha256: " + "e".repeat(64),
          "---",
          "apiVersion: osdeploy.io/v1alpha1",
          "kind: BootableMedia",
          "metadata: {name: lab-usb}",
          "spec:",
          "  type: Usb",
          "  deployment: lab",
          "  bootServers: ['http://dp.example:9080']",
          "  passwordSecretRef: {name: lab-media-secret, key: password}",
          "---",
          "apiVersion: v1",
          "kind: Secret",
          "metadata: {name: lab-media-secret}",
          "stringData: {password: " + MEDIA_PASSWORD + "}",
          "---",
          "apiVersion: v1",
          "kind: Secret",
          "metadata: {name: lab-admin-secret}",
          "stringData: {password: " + ADMIN_PASSWORD + "}");

  /** What a distribution point's daemon writes: its node's entry in the deployment's reports. */
  private void report(String state, int step, String message) {
    report(state, step, message, "");
  }

  /** {@code extra}: more fields of the machine's report, each with a leading comma. */
  private void report(String state, int step, String message, String extra) {
    TaskSequenceDeployment d =
        client
            .resources(TaskSequenceDeployment.class)
            .inNamespace(operator.getNamespace())
            .withName("lab")
            .get();
    String body =
        String.format(
            "{\"apiVersion\":\"osdeploy.io/v1alpha1\",\"kind\":\"TaskSequenceDeployment\","
                + "\"metadata\":{\"name\":\"lab\",\"namespace\":\"%s\",\"uid\":\"%s\"},"
                + "\"status\":{\"reports\":[{\"node\":\"hall-node-1\",\"machines\":[{\"mac\":\"%s\","
                + "\"state\":\"%s\",\"step\":%d,\"message\":%s,\"time\":\"%s\"%s}]}]}}",
            operator.getNamespace(),
            d.getMetadata().getUid(),
            MAC,
            state,
            step,
            quote(message),
            Instant.now().toString(),
            extra);
    DaemonStatusWrite.apply(
        client, TaskSequenceDeployment.class, operator.getNamespace(), "lab", "hall-node-1", body);
  }

  /** What a distribution point's daemon writes: its node's entry, with one multicast session. */
  private void nodeReport(String session) {
    String body =
        String.format(
            "{\"apiVersion\":\"osdeploy.io/v1alpha1\",\"kind\":\"DistributionPoint\","
                + "\"metadata\":{\"name\":\"hall\",\"namespace\":\"%s\"},"
                + "\"status\":{\"nodes\":[{\"name\":\"hall-node-1\",\"multicastSessions\":[%s]}]}}",
            operator.getNamespace(), session);
    DaemonStatusWrite.apply(
        client,
        io.osdeploy.api.v1alpha1.DistributionPoint.class,
        operator.getNamespace(),
        "hall",
        "hall-node-1",
        body);
  }

  private static String quote(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The page's event stream, read on a thread of its own into a list of (name, data) events. */
  private final class Events implements AutoCloseable {
    final List<String[]> events = new CopyOnWriteArrayList<>();
    final List<Instant> arrivals = new CopyOnWriteArrayList<>();
    private final InputStream body;

    Events() throws Exception {
      HttpResponse<InputStream> r =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/events")).build(),
              HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, r.statusCode());
      assertEquals(
          "text/event-stream; charset=utf-8", r.headers().firstValue("Content-Type").get());
      body = r.body();
      Thread t =
          new Thread(
              () -> {
                String name = null;
                try (Stream<String> lines =
                    new java.io.BufferedReader(
                            new java.io.InputStreamReader(body, StandardCharsets.UTF_8))
                        .lines()) {
                  for (String line : (Iterable<String>) lines::iterator) {
                    if (line.startsWith("event: ")) {
                      name = line.substring(7);
                    } else if (line.startsWith("data: ")) {
                      events.add(new String[] {name, line.substring(6)});
                      arrivals.add(Instant.now());
                    }
                  }
                } catch (RuntimeException e) {
                  // closed
                }
              },
              "events");
      t.setDaemon(true);
      t.start();
    }

    /** The latest view of {@code key} the stream has carried, or null. */
    JsonNode latest(String key) throws IOException {
      JsonNode found = null;
      for (String[] e : events) {
        JsonNode set = JSON.readTree(e[1]).path("set");
        if (set.has(key)) {
          found = set.get(key);
        }
      }
      return found;
    }

    String all() {
      StringBuilder s = new StringBuilder();
      events.forEach(e -> s.append(e[1]).append('\n'));
      return s.toString();
    }

    @Override
    public void close() throws IOException {
      body.close();
    }
  }

  @Test
  void aMachinesReportReachesTheStreamWithinTwoSecondsAndNoSecretIsShown() throws Exception {
    String ns = operator.getNamespace();
    apply(SITE);
    String key = "d/" + ns + "/lab";
    try (Events events = new Events()) {
      await("the deployment on the stream, its machines pending")
          .atMost(OperatorTests.TIMEOUT)
          .untilAsserted(
              () -> {
                JsonNode d = events.latest(key);
                assertTrue(d != null, "the deployment is on the stream");
                assertEquals(2, d.path("counts").path("targeted").asInt(), d.toString());
                assertEquals("Pending", d.path("machines").get(0).path("state").asText());
              });
      int before = events.events.size();
      Instant written = Instant.now();
      report("Running", 1, "Set up");
      await("the report on the stream")
          .atMost(Duration.ofSeconds(2))
          .pollInterval(Duration.ofMillis(20))
          .untilAsserted(
              () -> {
                JsonNode machine = machine(events.latest(key), MAC);
                assertEquals("Running", machine.path("state").asText(), machine.toString());
                assertEquals(1, machine.path("step").asInt());
                assertEquals("hall-node-1", machine.path("node").asText());
                assertEquals("lab-01", machine.path("name").asText());
              });
      Instant arrived = events.arrivals.get(events.arrivals.size() - 1);
      System.out.println(
          "live page: a report written reached the stream in "
              + Duration.between(written, arrived).toMillis()
              + " ms");
      assertTrue(events.events.size() > before);
      await("the operator's counts follow")
          .atMost(OperatorTests.TIMEOUT)
          .untilAsserted(
              () -> assertEquals(1, events.latest(key).path("counts").path("running").asInt()));
      await("the media on the stream")
          .atMost(OperatorTests.TIMEOUT)
          .untilAsserted(() -> assertTrue(events.latest("m/" + ns + "/lab-usb") != null));
      // The Secrets' contents never reach the page (a condition may name a missing Secret, as
      // kubectl shows it), nor the step's settings that refer to one.
      String everything = events.all();
      for (String secret :
          List.of(
              MEDIA_PASSWORD,
              ADMIN_PASSWORD,
              Base64.getEncoder().encodeToString(MEDIA_PASSWORD.getBytes(StandardCharsets.UTF_8)),
              Base64.getEncoder().encodeToString(ADMIN_PASSWORD.getBytes(StandardCharsets.UTF_8)),
              "administratorPassword",
              "lab-admin-secret")) {
        int at = everything.indexOf(secret);
        assertFalse(
            at >= 0,
            () ->
                "the stream carries "
                    + secret
                    + ": "
                    + everything.substring(
                        Math.max(0, at - 200), Math.min(everything.length(), at + 200)));
      }
    }
  }

  private static JsonNode machine(JsonNode deployment, String id) {
    for (JsonNode m : deployment.path("machines")) {
      if (id.equals(m.path("id").asText())) {
        return m;
      }
    }
    throw new AssertionError("no machine " + id + " in " + deployment);
  }

  @Test
  void writesForeignHostsAndOneStreamTooManyAreRefused() throws Exception {
    for (String method : List.of("POST", "PUT", "DELETE", "PATCH")) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/events"))
                  .method(method, HttpRequest.BodyPublishers.ofString("{}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(405, r.statusCode(), method);
      assertEquals("GET, HEAD", r.headers().firstValue("Allow").orElse(""));
    }
    assertEquals(421, rawStatus("evil.example"), "a name the page was not told");
    assertEquals(200, rawStatus("site.example:8090"), "a name it was told");
    assertEquals(200, rawStatus("localhost"));
    assertEquals(200, rawStatus("[::1]:80"));
    HttpResponse<String> index =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, index.statusCode());
    assertTrue(
        index
            .headers()
            .firstValue("Content-Security-Policy")
            .orElse("")
            .contains("script-src 'self'"));
    assertTrue(index.body().contains("<script src=\"page.js\""));

    List<Events> open = new ArrayList<>();
    try {
      for (int i = 0; i < LivePage.MAX_STREAMS; i++) {
        open.add(new Events());
      }
      await().atMost(OperatorTests.TIMEOUT).until(() -> page.streams() == LivePage.MAX_STREAMS);
      HttpResponse<String> refused =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/events")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(503, refused.statusCode());
    } finally {
      for (Events e : open) {
        e.close();
      }
    }
    await("closed streams are let go")
        .atMost(Duration.ofSeconds(40))
        .until(() -> page.streams() < LivePage.MAX_STREAMS);
  }

  /**
   * The status of GET / with {@code host} as the Host header, which HttpClient does not let set.
   */
  private int rawStatus(String host) throws IOException {
    try (Socket s = new Socket("127.0.0.1", page.address().getPort())) {
      s.getOutputStream()
          .write(
              ("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      String status = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
      return Integer.parseInt(status.substring(9, 12));
    }
  }

  @Test
  void aBrowserSeesTheStepChangeAndAFailureWithItsOutputFromTheKeyboard() throws Exception {
    PageBrowser.require();
    String ns = operator.getNamespace();
    apply(SITE);
    try (PageBrowser browser = new PageBrowser(base + "/", 1200, 900)) {
      String row = "tbody[data-key='d/" + ns + "/lab']";
      await("the deployment on screen")
          .atMost(OperatorTests.TIMEOUT)
          .until(() -> "2".equals(browser.text(row + " [data-count=targeted]")));
      assertTrue(browser.text("#connection").startsWith("Live"), browser.text("#connection"));
      // Open the deployment from the keyboard: Tab to its button, Enter.
      WebElement open = browser.driver().findElement(By.cssSelector(row + " button.open"));
      focusByTab(browser, open);
      open.sendKeys(Keys.ENTER);
      String machine = row + " tr[data-machine='" + MAC + "']";
      await("its machines shown")
          .atMost(Duration.ofSeconds(5))
          .until(() -> "not started".equals(browser.text(machine + " [data-field=step]")));
      report(
          "Running",
          1,
          "Set up",
          ",\"imageBytes\":134217728,\"imageTotalBytes\":268435456,\"imageBytesPerSecond\":20971520");
      await("the machine's step changes on screen")
          .atMost(Duration.ofSeconds(2))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> "2 of 3: Set up".equals(browser.text(machine + " [data-field=step]")));
      assertEquals(
          "50% of 256.0 MiB, 20.0 MiB/s", browser.text(machine + " [data-field=image] .small"));
      await("the running count follows")
          .atMost(OperatorTests.TIMEOUT)
          .until(() -> "1".equals(browser.text(row + " [data-count=running]")));
      assertEquals(
          "true",
          browser.driver().switchTo().activeElement().getAttribute("aria-expanded"),
          "the focus stays on the deployment's button as the page redraws");
      browser.screenshot("live-page-running");
      report("Failed", 2, "Check hardware: exit code 3; output: no disk controller found");
      String failure = "#failures-table tr[data-machine='" + MAC + "']";
      await("the failure with its exit code and output")
          .atMost(Duration.ofSeconds(2))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> "3".equals(browser.text(failure + " [data-field=exit]")));
      assertTrue(
          browser.text(failure + " [data-field=output]").contains("no disk controller found"));
      assertEquals("3 of 3: Check hardware", browser.text(failure + " [data-field=step]"));
      await("the failed count follows")
          .atMost(OperatorTests.TIMEOUT)
          .until(() -> "1".equals(browser.text(row + " [data-count=failed]")));
      browser.screenshot("live-page-failed");
      // A distribution point's node reports a multicast session waiting for machines.
      nodeReport(
          "{\"image\":\"lab-image\",\"state\":\"Waiting\",\"machines\":2,\"waitingFor\":6,"
              + "\"startsBy\":\""
              + Instant.now().plusSeconds(300).truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
              + "\"}");
      String session = "[data-node='hall-node-1'] [data-session='lab-image']";
      await("the waiting session on screen")
          .atMost(Duration.ofSeconds(2))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> browser.text(session) != null);
      assertTrue(
          browser.text(session).startsWith("lab-image Waiting for 6 more (2 machines joined)"),
          browser.text(session));
      assertTrue(browser.text(session).matches(".*starts by in [45] min$"), browser.text(session));
      nodeReport("{\"image\":\"lab-image\",\"state\":\"Repairing\",\"machines\":8}");
      await("the session repairing on screen")
          .atMost(Duration.ofSeconds(2))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> "lab-image Repairing to 8 machines".equals(browser.text(session)));
      // On a phone's width the page still fits: nothing wider than the window but the tables'
      // own scrolling boxes.
      browser.driver().manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
      Number overflow =
          (Number)
              browser
                  .driver()
                  .executeScript("return document.documentElement.scrollWidth - window.innerWidth");
      assertTrue(overflow.intValue() <= 0, "the page is wider than a phone by " + overflow);
      browser.screenshot("live-page-phone");
    }
  }

  /** Presses Tab from the top of the page until {@code target} has the focus. */
  private static void focusByTab(PageBrowser browser, WebElement target) {
    WebElement body = browser.driver().findElement(By.tagName("body"));
    body.click();
    for (int i = 0; i < 50; i++) {
      WebElement active = browser.driver().switchTo().activeElement();
      if (active.equals(target)) {
        return;
      }
      active.sendKeys(Keys.TAB);
    }
    throw new AssertionError("Tab never reached " + target.getText());
  }
}
