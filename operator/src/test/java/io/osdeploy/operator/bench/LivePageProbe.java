package io.osdeploy.operator.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.osdeploy.api.v1alpha1.TaskSequenceDeployment;
import io.osdeploy.operator.testing.DaemonStatusWrite;
import io.osdeploy.operator.testing.PageBrowser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Comparator;

/**
 * The live page at fleet scale, read from the operator's jar as in its pod: how large its first
 * event (the whole state) is and how long it takes to arrive, and, where chromium is installed, how
 * long the browser takes to draw every deployment, how long a machine's report written as a daemon
 * writes it takes to appear on screen, and the page's JavaScript heap.
 */
final class LivePageProbe {
  long snapshotBytes = -1;
  double snapshotSeconds = Double.NaN;
  double firstDrawSeconds = Double.NaN;
  double reportOnScreenSeconds = Double.NaN;
  long jsHeapBytes = -1;
  String browser = "not measured: no chromium here";

  private LivePageProbe() {}

  static LivePageProbe measure(KubernetesClient admin, String namespace, int port, int deployments)
      throws Exception {
    LivePageProbe p = new LivePageProbe();
    String base = "http://127.0.0.1:" + port;
    long t0 = System.nanoTime();
    HttpResponse<InputStream> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(base + "/events")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.startsWith("data: ")) {
          p.snapshotBytes = line.getBytes(StandardCharsets.UTF_8).length - 6;
          p.snapshotSeconds = (System.nanoTime() - t0) / 1e9;
          break;
        }
      }
    }
    if (!Files.isExecutable(PageBrowser.CHROMIUM) || !Files.isExecutable(PageBrowser.DRIVER)) {
      return p;
    }
    TaskSequenceDeployment first =
        admin
            .resources(TaskSequenceDeployment.class)
            .inNamespace(namespace)
            .list()
            .getItems()
            .stream()
            .min(Comparator.comparing(d -> d.getMetadata().getName()))
            .orElseThrow();
    String mac = first.getSpec().getTarget().getMachines().get(0).getMac();
    String row = "tbody[data-key='d/" + namespace + "/" + first.getMetadata().getName() + "']";
    long b0 = System.nanoTime();
    try (PageBrowser browser = new PageBrowser(base + "/", 1280, 1000)) {
      until(() -> String.valueOf(deployments).equals(browser.text("#deployments-count")), 120);
      p.firstDrawSeconds = (System.nanoTime() - b0) / 1e9;
      browser.driver().findElement(org.openqa.selenium.By.cssSelector(row + " button")).click();
      String step = row + " tr[data-machine='" + mac + "'] [data-field=step]";
      until(() -> "not started".equals(browser.text(step)), 30);
      long w0 = System.nanoTime();
      report(admin, first, mac);
      until(() -> browser.text(step) != null && browser.text(step).startsWith("1 of "), 30);
      p.reportOnScreenSeconds = (System.nanoTime() - w0) / 1e9;
      Object heap = browser.driver().executeScript("return performance.memory.usedJSHeapSize");
      p.jsHeapBytes = ((Number) heap).longValue();
      browser.screenshot("scale-live-page");
      p.browser = "measured";
    }
    return p;
  }

  /** What a distribution point's daemon writes for the machine: running its first step. */
  private static void report(KubernetesClient admin, TaskSequenceDeployment d, String mac) {
    String body =
        String.format(
            "{\"apiVersion\":\"osdeploy.io/v1alpha1\",\"kind\":\"TaskSequenceDeployment\","
                + "\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\",\"uid\":\"%s\"},"
                + "\"status\":{\"reports\":[{\"node\":\"scale-probe\",\"machines\":[{\"mac\":\"%s\","
                + "\"state\":\"Running\",\"step\":0,\"time\":\"%s\"}]}]}}",
            d.getMetadata().getName(),
            d.getMetadata().getNamespace(),
            d.getMetadata().getUid(),
            mac,
            Instant.now());
    DaemonStatusWrite.apply(
        admin,
        TaskSequenceDeployment.class,
        d.getMetadata().getNamespace(),
        d.getMetadata().getName(),
        "scale-probe",
        body);
  }

  private static void until(java.util.function.BooleanSupplier done, int seconds)
      throws InterruptedException, IOException {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (true) {
      try {
        if (done.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException e) {
        // A row redrawn between finding and reading it.
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("the live page did not show it within " + seconds + " s");
      }
      Thread.sleep(20);
    }
  }
}
