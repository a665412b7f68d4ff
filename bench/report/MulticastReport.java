import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;

/**
 * Turns bench/multicast.sh's results (one tab-separated line per run) into the multicast section
 * of docs/benchmarks.md: the table, the targets marked met or not from the figures, and a
 * PNG chart of goodput. Only the lines between {@code <!-- multicast:begin -->} and {@code <!--
 * multicast:end -->} are replaced (the section is appended when the file has no such markers), so
 * the other benchmarks' sections and the notes around them stay. Run by the script as a
 * single-file program: java bench/report/MulticastReport.java RESULTS OUT PNG HEADER_FILE CAP_MBIT.
 */
public class MulticastReport {
  record Run(
      String tool,
      int receivers,
      int lossPermille,
      String link,
      double seconds,
      double goodputMbit,
      double wire,
      boolean verified,
      double senderCpu,
      double receiversCpu,
      int imageMib) {
    String loss() {
      return String.format(Locale.ROOT, "%g%%", lossPermille / 10.0).replace(".00000%", "%");
    }
  }

  /** CPU seconds of one tool, from its uncapped single-receiver runs at two image sizes. */
  record Cost(String tool, double receiverStart, double receiverPerGib, double senderStart, double senderPerGib) {}

  static final List<String> TOOLS = List.of("osdeploy", "udpcast", "uftp", "http");

  public static void main(String[] args) throws IOException {
    List<Run> runs = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(args[0]))) {
      String[] f = line.split("\t");
      runs.add(
          new Run(
              f[0],
              Integer.parseInt(f[1]),
              Integer.parseInt(f[2]),
              f[3],
              Double.parseDouble(f[4]),
              Double.parseDouble(f[5]),
              Double.parseDouble(f[6]),
              f[7].equals("y"),
              Double.parseDouble(f[8]),
              Double.parseDouble(f[9]),
              Integer.parseInt(f[10])));
    }
    double cap = Double.parseDouble(args[4]);
    StringBuilder md = new StringBuilder(Files.readString(Path.of(args[3])));
    for (String link : List.of("capped", "uncapped")) {
      List<Run> part = runs.stream().filter(r -> r.link().equals(link)).toList();
      if (part.isEmpty()) {
        continue;
      }
      boolean capped = link.equals("capped");
      md.append("\n### ")
          .append(capped ? "Sender link capped at " + fmt(cap) + " Mbit/s" : "Uncapped")
          .append("\n\n");
      md.append(
          "| Sender | Receivers |"
              + (capped ? " Loss |" : " Image (MiB) |")
              + " Time (s) | Goodput per receiver (Mbit/s) |"
              + (capped ? " Share of cap |" : "")
              + " Wire / image | Sender CPU (s) | Receivers' CPU (s) | All SHA-256 correct |\n");
      md.append(capped ? "|---|---|---|---|---|---|---|---|---|---|\n" : "|---|---|---|---|---|---|---|---|---|\n");
      for (Run r : part) {
        md.append(
            String.format(
                Locale.ROOT,
                "| %s | %d | %s | %.2f | %.0f |%s %.2f | %.2f | %.2f | %s |%n",
                r.tool(),
                r.receivers(),
                capped ? r.loss() : String.valueOf(r.imageMib()),
                r.seconds(),
                r.goodputMbit(),
                capped ? String.format(Locale.ROOT, " %.0f%% |", 100 * r.goodputMbit() / cap) : "",
                r.wire(),
                r.senderCpu(),
                r.receiversCpu(),
                r.verified() ? "y" : "**n**"));
      }
    }
    List<Cost> costs = costs(runs);
    if (!costs.isEmpty()) {
      md.append("\n### CPU cost\n\n");
      md.append(
          "From the uncapped runs with one receiver: start-up is the CPU of the smallest image's run,"
              + " per GiB the growth from the smallest to the largest image, scaled to 1 GiB.\n\n");
      md.append("| Sender | Receiver start-up (s) | Receiver per GiB (s) | Sender start-up (s) | Sender per GiB (s) |\n");
      md.append("|---|---|---|---|---|\n");
      for (Cost c : costs) {
        md.append(
            String.format(
                Locale.ROOT,
                "| %s | %.2f | %.2f | %.2f | %.2f |%n",
                c.tool(), c.receiverStart(), c.receiverPerGib(), c.senderStart(), c.senderPerGib()));
      }
    }
    md.append("\n### Targets\n\n");
    md.append(targets(runs, costs, cap));
    md.append("\n![Goodput per receiver by receivers and loss](")
        .append(Path.of(args[2]).getFileName())
        .append(")\n");
    writeSection(Path.of(args[1]), "multicast", md.toString());
    chart(runs.stream().filter(r -> r.link().equals("capped")).toList(), cap, Path.of(args[2]));
  }

  /** Each tool's cost, where it has verified uncapped one-receiver runs at two sizes. */
  static List<Cost> costs(List<Run> runs) {
    List<Cost> costs = new ArrayList<>();
    for (String tool : TOOLS) {
      List<Run> one =
          runs.stream()
              .filter(r -> r.tool().equals(tool) && r.link().equals("uncapped") && r.receivers() == 1 && r.verified())
              .sorted(java.util.Comparator.comparingInt(Run::imageMib))
              .toList();
      if (one.size() < 2 || one.get(0).imageMib() == one.get(one.size() - 1).imageMib()) {
        continue;
      }
      Run small = one.get(0);
      Run large = one.get(one.size() - 1);
      double gib = (large.imageMib() - small.imageMib()) / 1024.0;
      costs.add(
          new Cost(
              tool,
              small.receiversCpu(),
              (large.receiversCpu() - small.receiversCpu()) / gib,
              small.senderCpu(),
              (large.senderCpu() - small.senderCpu()) / gib));
    }
    return costs;
  }

  /**
   * Replaces the lines between {@code <!-- name:begin -->} and {@code <!-- name:end -->} in {@code
   * file} with {@code body}, keeping everything else; appends the section, markers included, when
   * the file (or either marker) is missing.
   */
  static void writeSection(Path file, String name, String body) throws IOException {
    String begin = "<!-- " + name + ":begin -->";
    String end = "<!-- " + name + ":end -->";
    List<String> lines =
        Files.exists(file) ? new ArrayList<>(Files.readAllLines(file)) : new ArrayList<>();
    int from = -1;
    int to = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).trim().equals(begin) && from < 0) {
        from = i;
      } else if (lines.get(i).trim().equals(end) && from >= 0) {
        to = i;
        break;
      }
    }
    List<String> section = new ArrayList<>(List.of(body.strip().split("\n", -1)));
    if (from < 0 || to < 0) {
      if (!lines.isEmpty() && !lines.get(lines.size() - 1).isBlank()) {
        lines.add("");
      }
      lines.add(begin);
      lines.addAll(section);
      lines.add(end);
    } else {
      lines.subList(from + 1, to).clear();
      lines.addAll(from + 1, section);
    }
    Files.writeString(file, String.join("\n", lines) + "\n");
  }

  static String targets(List<Run> all, List<Cost> costs, double cap) {
    List<Run> runs = all.stream().filter(r -> r.link().equals("capped")).toList();
    List<Run> ours = runs.stream().filter(r -> r.tool().equals("osdeploy")).toList();
    StringBuilder t = new StringBuilder("| Target (osdeploy) | Measured | Met |\n|---|---|---|\n");
    List<Run> clean = ours.stream().filter(r -> r.lossPermille() == 0).toList();
    String wires0 =
        clean.stream()
            .map(r -> String.format(Locale.ROOT, "N=%d %.2f", r.receivers(), r.wire()))
            .collect(Collectors.joining(", "));
    row(t, "capped, 0% loss: bytes on the wire at most 1.05x the image", wires0,
        !clean.isEmpty() && clean.stream().allMatch(r -> r.wire() <= 1.05));
    Run lossy8 = find(ours, 8, 50);
    if (lossy8 != null) {
      row(t, "capped, 5% loss, N=8: bytes on the wire at most 1.2x",
          String.format(Locale.ROOT, "%.2f", lossy8.wire()), lossy8.wire() <= 1.2);
    }
    List<String> behind = new ArrayList<>();
    for (Run r : ours) {
      Run best =
          runs.stream()
              .filter(x -> (x.tool().equals("udpcast") || x.tool().equals("uftp")) && x.verified())
              .filter(x -> x.receivers() == r.receivers() && x.lossPermille() == r.lossPermille())
              .min(java.util.Comparator.comparingDouble(Run::seconds))
              .orElse(null);
      if (best != null && r.seconds() > best.seconds()) {
        behind.add(String.format(Locale.ROOT, "N=%d %s behind %s (%.1f s > %.1f s)",
            r.receivers(), r.loss(), best.tool(), r.seconds(), best.seconds()));
      }
    }
    row(t, "capped: time at most the faster verified peer's in every cell",
        behind.isEmpty() ? "ahead or equal everywhere" : behind.size() + " cells behind: " + String.join("; ", behind),
        !ours.isEmpty() && behind.isEmpty());
    Cost mine = costs.stream().filter(c -> c.tool().equals("osdeploy")).findFirst().orElse(null);
    Cost udpcast = costs.stream().filter(c -> c.tool().equals("udpcast")).findFirst().orElse(null);
    if (mine != null) {
      row(t, "receiver start-up at most 0.5 CPU seconds",
          String.format(Locale.ROOT, "%.2f s", mine.receiverStart()), mine.receiverStart() <= 0.5);
    }
    if (mine != null && udpcast != null) {
      row(t, "receiver CPU per GiB at most udp-receiver's",
          String.format(Locale.ROOT, "%.2f s vs %.2f s", mine.receiverPerGib(), udpcast.receiverPerGib()),
          mine.receiverPerGib() <= udpcast.receiverPerGib());
      row(t, "sender CPU per GiB at most 1.5x udp-sender's",
          String.format(Locale.ROOT, "%.2f s vs %.2f s (%.2fx)", mine.senderPerGib(), udpcast.senderPerGib(),
              mine.senderPerGib() / udpcast.senderPerGib()),
          mine.senderPerGib() <= 1.5 * udpcast.senderPerGib());
    }
    int largest = all.stream().filter(r -> r.link().equals("uncapped")).mapToInt(Run::imageMib).max().orElse(0);
    List<Run> uncapped1 =
        all.stream().filter(r -> r.link().equals("uncapped") && r.receivers() == 1 && r.imageMib() == largest).toList();
    Run ourUncapped = uncapped1.stream().filter(r -> r.tool().equals("osdeploy")).findFirst().orElse(null);
    Run fasterPeer =
        uncapped1.stream()
            .filter(r -> (r.tool().equals("udpcast") || r.tool().equals("uftp")) && r.verified())
            .min(java.util.Comparator.comparingDouble(Run::seconds))
            .orElse(null);
    if (ourUncapped != null && fasterPeer != null) {
      row(t, "uncapped, one receiver, " + largest + " MiB: at least as fast as the faster peer",
          String.format(Locale.ROOT, "%.2f s vs %s %.2f s", ourUncapped.seconds(), fasterPeer.tool(), fasterPeer.seconds()),
          ourUncapped.verified() && ourUncapped.seconds() <= fasterPeer.seconds());
    }
    long unverified = all.stream().filter(r -> r.tool().equals("osdeploy") && !r.verified()).count();
    row(t, "every receiver verified in every cell",
        unverified == 0 ? "all verified" : unverified + " cells with a receiver not verified",
        unverified == 0);
    return t.toString();
  }

  static void row(StringBuilder t, String target, String measured, boolean met) {
    t.append("| ").append(target).append(" | ").append(measured).append(" | ")
        .append(met ? "met" : "**not met**").append(" |\n");
  }

  static Run find(List<Run> runs, int n, int loss) {
    return runs.stream().filter(r -> r.receivers() == n && r.lossPermille() == loss).findFirst().orElse(null);
  }

  /** Grouped bars: one panel per loss rate, receivers on the x axis, one bar per sender. */
  static void chart(List<Run> runs, double cap, Path png) throws IOException {
    TreeSet<Integer> losses = new TreeSet<>();
    TreeSet<Integer> counts = new TreeSet<>();
    runs.forEach(r -> { losses.add(r.lossPermille()); counts.add(r.receivers()); });
    int panelW = 420, panelH = 300, margin = 50;
    int w = margin + losses.size() * (panelW + margin), h = panelH + 2 * margin + 40;
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, w, h);
    Map<String, Color> colors = new LinkedHashMap<>();
    colors.put("osdeploy", new Color(0x1f77b4));
    colors.put("udpcast", new Color(0xff7f0e));
    colors.put("uftp", new Color(0x2ca02c));
    colors.put("http", new Color(0x7f7f7f));
    double max = Math.max(cap, runs.stream().mapToDouble(Run::goodputMbit).max().orElse(cap));
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    int x0 = margin;
    for (int loss : losses) {
      int top = margin, bottom = margin + panelH;
      g.setColor(Color.BLACK);
      g.drawString(String.format(Locale.ROOT, "loss %g%%", loss / 10.0).replace(".00000%", "%"), x0, top - 10);
      g.drawLine(x0, bottom, x0 + panelW, bottom);
      g.drawLine(x0, top, x0, bottom);
      int capY = bottom - (int) (panelH * cap / max);
      g.setColor(Color.RED);
      g.setStroke(new BasicStroke(1, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1, new float[] {4, 4}, 0));
      g.drawLine(x0, capY, x0 + panelW, capY);
      g.setStroke(new BasicStroke(1));
      g.drawString("cap " + fmt(cap), x0 + panelW - 60, capY - 3);
      int groupW = panelW / counts.size();
      int barW = (groupW - 12) / TOOLS.size();
      int gi = 0;
      for (int n : counts) {
        int gx = x0 + gi * groupW + 6;
        int ti = 0;
        for (String tool : TOOLS) {
          Run r = runs.stream().filter(x -> x.tool().equals(tool) && x.receivers() == n && x.lossPermille() == loss).findFirst().orElse(null);
          if (r != null) {
            int bh = (int) (panelH * r.goodputMbit() / max);
            g.setColor(colors.get(tool));
            g.fillRect(gx + ti * barW, bottom - bh, barW - 2, bh);
          }
          ti++;
        }
        g.setColor(Color.BLACK);
        g.drawString("N=" + n, gx + groupW / 2 - 15, bottom + 15);
        gi++;
      }
      g.drawString(fmt(max) + " Mbit/s", x0 + 3, top + 12);
      x0 += panelW + margin;
    }
    int lx = margin;
    for (Map.Entry<String, Color> e : colors.entrySet()) {
      g.setColor(e.getValue());
      g.fillRect(lx, h - 30, 12, 12);
      g.setColor(Color.BLACK);
      g.drawString(e.getKey(), lx + 16, h - 20);
      lx += 100;
    }
    g.drawString("goodput per receiver (Mbit/s)", lx + 20, h - 20);
    g.dispose();
    ImageIO.write(img, "png", png.toFile());
  }

  static String fmt(double v) {
    return String.format(Locale.ROOT, "%.0f", v);
  }
}
