package io.osdeploy.operator.page;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.osdeploy.operator.ops.OpsServer;
import io.osdeploy.operator.watch.ResourceInformers;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live page for the people at a site: every deployment's machines with their step and progress,
 * failures with their output, the distribution points' nodes, content and multicast sessions, and
 * the boot media's download links, updated as the statuses change. Served on a port of its own
 * ({@code OSDEPLOY_PAGE_PORT}), apart from media downloads and metrics.
 *
 * <p>It reads the four kinds from the informers the metrics' gauges read too, in the namespaces the
 * operator watches, and offers nothing that changes anything: {@code GET} and {@code HEAD} of three
 * static files and one stream of server-sent events ({@code /events}), whose first event is the
 * whole state and whose next ones carry only the resources that changed, at most {@value
 * #TICK_MILLIS} ms after the informer saw them. What it shows of each resource is {@link
 * SiteView}'s choice of fields.
 *
 * <p>Who may call it: whoever reaches the port (in a cluster, {@code kubectl port-forward} or a
 * Service the administrator adds; the NetworkPolicy in {@code deploy/} admits no one else). It
 * answers only requests whose {@code Host} is {@code localhost}, an IP address or one of the names
 * it is told ({@code OSDEPLOY_PAGE_HOSTS}), so a web page elsewhere cannot read it through a
 * rebound DNS name; and it keeps at most {@value #MAX_STREAMS} event streams open, each with a
 * bounded queue (a reader that falls behind is dropped, and its browser reconnects).
 */
public final class LivePage implements AutoCloseable {
  /** The most event streams served at once; more are refused with 503. */
  public static final int MAX_STREAMS = 32;

  /** How often changes seen by the informers are sent. */
  static final long TICK_MILLIS = 250;

  /** How many unsent events a stream may hold before it is dropped. */
  static final int STREAM_QUEUE = 64;

  static final Duration HEARTBEAT = Duration.ofSeconds(15);

  private static final Logger log = LoggerFactory.getLogger(LivePage.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Put on a stream's queue to end it; compared by identity. */
  @SuppressWarnings("StringOperationCanBeSimplified")
  private static final String DROPPED = new String("dropped");

  private static final Map<String, String> FILES =
      Map.of(
          "/", "index.html",
          "/index.html", "index.html",
          "/page.css", "page.css",
          "/page.js", "page.js");
  private static final Pattern IPV4 = Pattern.compile("^\\d{1,3}(\\.\\d{1,3}){3}$");
  private static final String CSP =
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
          + " img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(MAX_STREAMS + 4);
  private final ScheduledExecutorService ticker =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "live-page");
            t.setDaemon(true);
            return t;
          });

  /** The informers the page reads, when it made its own; null when it was given them. */
  private ResourceInformers owned;

  private final Set<String> hosts;
  private final Map<String, byte[]> files = new LinkedHashMap<>();

  /** What the informers saw since the last tick: the resource, or empty when it was deleted. */
  private final Map<String, Optional<CustomResource<?, ?>>> seen = new ConcurrentHashMap<>();

  // Guarded by this: what every stream has been sent, and the streams.
  private final Map<String, String> fragments = new TreeMap<>();
  private final Set<Stream> streams = new HashSet<>();
  private long sequence;

  private LivePage(String bindAddress, int port, Set<String> hosts) throws IOException {
    this.hosts = Set.copyOf(hosts);
    for (String file : new HashSet<>(FILES.values())) {
      try (InputStream in = LivePage.class.getResourceAsStream("/page/" + file)) {
        if (in == null) {
          throw new IllegalStateException("the page's " + file + " is missing from the jar");
        }
        files.put(file, in.readAllBytes());
      }
    }
    server = HttpServer.create(new InetSocketAddress(bindAddress, port), 0);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
  }

  /**
   * Serves the page on {@code bindAddress:port} (0: a free one) over the four kinds in {@code
   * namespaces} (every namespace when empty), with informers of its own.
   *
   * @param hosts the names, besides {@code localhost} and IP addresses, that requests may give as
   *     their {@code Host}
   */
  public static LivePage start(
      KubernetesClient client,
      Set<String> namespaces,
      String bindAddress,
      int port,
      Set<String> hosts)
      throws IOException {
    ResourceInformers informers = ResourceInformers.start(client, namespaces);
    try {
      LivePage page = start(informers, bindAddress, port, hosts);
      page.owned = informers;
      return page;
    } catch (IOException | RuntimeException e) {
      informers.close();
      throw e;
    }
  }

  /** Serves the page over {@code informers}, which stay open when it closes. */
  public static LivePage start(
      ResourceInformers informers, String bindAddress, int port, Set<String> hosts)
      throws IOException {
    LivePage page = new LivePage(bindAddress, port, hosts);
    for (Class<? extends CustomResource<?, ?>> kind : ResourceInformers.KINDS) {
      page.follow(informers, kind);
    }
    page.ticker.scheduleWithFixedDelay(
        page::publish, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    page.server.start();
    return page;
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** The names of {@code OSDEPLOY_PAGE_HOSTS}: comma-separated host names, lower case. */
  public static Set<String> hosts(String value) {
    Set<String> names = new HashSet<>();
    if (value != null) {
      for (String part : value.split(",", -1)) {
        String name = part.trim().toLowerCase(Locale.ROOT);
        if (!name.isEmpty()) {
          names.add(name);
        }
      }
    }
    return names;
  }

  private <T extends CustomResource<?, ?>> void follow(ResourceInformers informers, Class<T> type) {
    informers.addHandler(
        type,
        new ResourceEventHandler<T>() {
          @Override
          public void onAdd(T resource) {
            seen.put(SiteView.key(resource), Optional.of(resource));
          }

          @Override
          public void onUpdate(T before, T after) {
            seen.put(SiteView.key(after), Optional.of(after));
          }

          @Override
          public void onDelete(T resource, boolean finalStateUnknown) {
            seen.put(SiteView.key(resource), Optional.empty());
          }
        });
  }

  /** Renders what changed since the last tick and sends it to every stream. */
  private void publish() {
    try {
      if (seen.isEmpty()) {
        return;
      }
      Map<String, String> set = new TreeMap<>();
      List<String> gone = new ArrayList<>();
      for (String key : new ArrayList<>(seen.keySet())) {
        Optional<CustomResource<?, ?>> r = seen.remove(key);
        if (r == null) {
          continue;
        }
        if (r.isPresent()) {
          set.put(key, SiteView.render(r.get()));
        } else {
          gone.add(key);
        }
      }
      synchronized (this) {
        set.entrySet().removeIf(e -> e.getValue().equals(fragments.get(e.getKey())));
        gone.removeIf(k -> !fragments.containsKey(k));
        if (set.isEmpty() && gone.isEmpty()) {
          return;
        }
        fragments.putAll(set);
        gone.forEach(fragments::remove);
        sequence++;
        String event = event("change", sequence, set, gone);
        for (Stream s : streams) {
          s.offer(event);
        }
      }
    } catch (RuntimeException e) {
      log.warn("live page: could not publish a change: {}", e.toString(), e);
    }
  }

  private static String event(
      String name, long sequence, Map<String, String> set, List<String> gone) {
    StringBuilder data = new StringBuilder(64 + set.size() * 256);
    data.append("{\"seq\":").append(sequence).append(",\"set\":{");
    boolean first = true;
    for (Map.Entry<String, String> e : set.entrySet()) {
      if (!first) {
        data.append(',');
      }
      first = false;
      data.append(quote(e.getKey())).append(':').append(e.getValue());
    }
    data.append("},\"gone\":[");
    for (int i = 0; i < gone.size(); i++) {
      data.append(i == 0 ? "" : ",").append(quote(gone.get(i)));
    }
    data.append("]}");
    return "event: " + name + "\ndata: " + data + "\n\n";
  }

  private static String quote(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getResponseHeaders().set("Content-Security-Policy", CSP);
      exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
      exchange.getResponseHeaders().set("Referrer-Policy", "no-referrer");
      String method = exchange.getRequestMethod();
      boolean head = method.equals("HEAD");
      if (!head && !method.equals("GET")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        text(exchange, 405, "the page changes nothing: GET and HEAD only\n", head);
        return;
      }
      String host = exchange.getRequestHeaders().getFirst("Host");
      if (!hostAllowed(host)) {
        text(
            exchange,
            421,
            "this page does not answer to the host name "
                + host
                + " (the operator's OSDEPLOY_PAGE_HOSTS names those it does)\n",
            head);
        return;
      }
      String path = exchange.getRequestURI().getRawPath();
      if (path.equals("/events")) {
        if (head) {
          exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
          exchange.sendResponseHeaders(200, -1);
        } else {
          stream(exchange);
        }
        return;
      }
      String file = FILES.get(path);
      if (file == null) {
        text(exchange, 404, "not found\n", head);
        return;
      }
      byte[] body = files.get(file);
      exchange.getResponseHeaders().set("Content-Type", contentType(file));
      exchange.getResponseHeaders().set("Cache-Control", "no-cache");
      if (head) {
        exchange.sendResponseHeaders(200, -1);
      } else {
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
      }
    }
  }

  /** {@code localhost}, an IP address or a name the page was told, with or without a port. */
  boolean hostAllowed(String host) {
    if (host == null || host.isBlank()) {
      return false;
    }
    String h = host.trim().toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end > 1 && (end == h.length() - 1 || h.charAt(end + 1) == ':');
    }
    int colon = h.indexOf(':');
    String name = colon < 0 ? h : h.substring(0, colon);
    return name.equals("localhost") || IPV4.matcher(name).matches() || hosts.contains(name);
  }

  private static String contentType(String file) {
    if (file.endsWith(".html")) {
      return "text/html; charset=utf-8";
    }
    if (file.endsWith(".css")) {
      return "text/css; charset=utf-8";
    }
    return "text/javascript; charset=utf-8";
  }

  private void stream(HttpExchange exchange) throws IOException {
    Stream s = new Stream();
    String snapshot = null;
    synchronized (this) {
      if (streams.size() < MAX_STREAMS) {
        streams.add(s);
        snapshot = event("snapshot", sequence, fragments, List.of());
      }
    }
    if (snapshot == null) {
      exchange.getResponseHeaders().set("Retry-After", "10");
      text(exchange, 503, "too many open pages; try again shortly\n", false);
      return;
    }
    try {
      exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      exchange.sendResponseHeaders(200, 0);
      OutputStream out = exchange.getResponseBody();
      out.write(("retry: 2000\n\n" + snapshot).getBytes(StandardCharsets.UTF_8));
      out.flush();
      while (true) {
        String next = s.queue.poll(HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
        if (next == DROPPED) {
          return;
        }
        out.write((next == null ? ": still here\n\n" : next).getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // The browser went away.
    } finally {
      synchronized (this) {
        streams.remove(s);
      }
    }
  }

  /** How many event streams are open now. */
  synchronized int streams() {
    return streams.size();
  }

  private static void text(HttpExchange exchange, int status, String body, boolean head)
      throws IOException {
    OpsServer.send(exchange, status, "text/plain; charset=utf-8", body, head);
  }

  @Override
  public void close() {
    ticker.shutdownNow();
    if (owned != null) {
      owned.close();
    }
    server.stop(0);
    executor.shutdownNow();
  }

  /** One open event stream and what it has yet to be sent. */
  private static final class Stream {
    final BlockingQueue<String> queue = new ArrayBlockingQueue<>(STREAM_QUEUE + 1);

    /** Queues {@code event}; a stream that cannot take it is dropped and its browser reconnects. */
    void offer(String event) {
      if (queue.size() >= STREAM_QUEUE || !queue.offer(event)) {
        queue.clear();
        queue.offer(DROPPED);
      }
    }
  }
}
