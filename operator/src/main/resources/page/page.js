// The live page: one stream of server-sent events from /events. The first event ("snapshot") holds
// every resource the page shows, the next ones ("change") only those that changed. Resources are
// filed by key: "d/" deployments, "p/" distribution points, "m/" boot media, "i/" images, then
// namespace/name. Everything is drawn with DOM calls and textContent, never from HTML strings.
"use strict";

(function () {
  const state = new Map();
  const expanded = new Set();
  const dirty = new Set();
  let drawAll = true;
  let filter = "";
  let scheduled = false;

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function kind(prefix) {
    return [...state.entries()]
      .filter(([k]) => k.startsWith(prefix + "/"))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  function label(r) {
    return r.namespace + "/" + r.name;
  }

  function size(bytes) {
    if (bytes === undefined || bytes === null) return "";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let v = bytes;
    let u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return (u === 0 ? v : v.toFixed(1)) + " " + units[u];
  }

  function ago(time) {
    if (!time) return "";
    const d = Math.round((Date.now() - Date.parse(time)) / 1000);
    const s = Math.abs(d);
    const span = s < 60 ? s + " s"
      : s < 3600 ? Math.floor(s / 60) + " min"
        : s < 86400 ? Math.floor(s / 3600) + " h" : Math.floor(s / 86400) + " d";
    return d >= 0 ? span + " ago" : "in " + span;
  }

  function when(time) {
    return el("time", { datetime: time, title: time, "data-time": time, text: ago(time) });
  }

  function badge(text) {
    return el("span", { class: "state " + text, text: text });
  }

  function stepText(d, m) {
    const n = d.steps.length;
    if (m.state === "Pending") return "not started";
    if (m.state === "Succeeded") return "all " + n + " steps done";
    if (m.step === undefined) return "";
    const name = d.steps[m.step];
    return (m.step + 1) + " of " + n + (name ? ": " + name : "");
  }

  function progress(m) {
    if (m.bytes === undefined || !m.totalBytes) return "";
    const pct = Math.min(100, Math.floor((100 * m.bytes) / m.totalBytes));
    const bar = el("span", {
      class: "bar",
      role: "progressbar",
      "aria-valuemin": "0",
      "aria-valuemax": "100",
      "aria-valuenow": String(pct),
      "aria-label": m.image ? m.image + " written" : "image written",
    }, el("span", { style: null }));
    bar.firstChild.style.width = pct + "%";
    const rate = m.bytesPerSecond ? ", " + size(m.bytesPerSecond) + "/s" : "";
    return el("div", {}, bar,
      el("span", { class: "small", text: pct + "% of " + size(m.totalBytes) + rate }));
  }

  function matches(...texts) {
    if (!filter) return true;
    return texts.some((t) => t && String(t).toLowerCase().includes(filter));
  }

  function machineMatches(d, m) {
    return matches(m.id, m.name, m.node) || matches(d.name, d.namespace);
  }

  function machineTable(key, d) {
    const rows = d.machines.filter((m) => machineMatches(d, m));
    const body = el("tbody");
    for (const m of rows) {
      const detail = m.state === "Failed"
        ? el("pre", { class: "output", text: m.message || "" })
        : el("span", { text: m.message || "" });
      body.append(el("tr", { "data-machine": m.id },
        el("th", { scope: "row" }, m.name ? m.name + " " : "",
          el("span", { class: "small", text: m.id })),
        el("td", { "data-field": "state" }, badge(m.state)),
        el("td", { "data-field": "step", text: stepText(d, m) }),
        el("td", { "data-field": "image" }, progress(m)),
        el("td", { "data-field": "reported" }, m.time ? when(m.time) : ""),
        el("td", { "data-field": "message", class: "optional" }, detail)));
    }
    return el("table", { "aria-label": "Machines of " + label(d) },
      el("thead", {}, el("tr", {},
        el("th", { scope: "col", text: "Machine" }),
        el("th", { scope: "col", text: "State" }),
        el("th", { scope: "col", text: "Step" }),
        el("th", { scope: "col", text: "Image" }),
        el("th", { scope: "col", text: "Last report" }),
        el("th", { scope: "col", class: "optional", text: "Message" }))),
      body);
  }

  function deploymentBody(key, d) {
    const c = d.counts;
    const total = Math.max(c.targeted, c.pending + c.running + c.succeeded + c.failed, 1);
    const done = Math.round((100 * (c.succeeded + c.failed)) / total);
    const open = expanded.has(key);
    const button = el("button", {
      class: "open",
      type: "button",
      "aria-expanded": open ? "true" : "false",
      "aria-controls": "machines-" + key,
      "data-focus": "open " + key,
      text: label(d),
    });
    button.addEventListener("click", () => {
      if (expanded.has(key)) expanded.delete(key);
      else expanded.add(key);
      markDirty(key);
    });
    const bar = el("span", {
      class: c.failed > 0 ? "bar failed" : "bar",
      role: "progressbar",
      "aria-valuemin": "0",
      "aria-valuemax": "100",
      "aria-valuenow": String(done),
      "aria-label": label(d) + " finished",
    }, el("span"));
    bar.firstChild.style.width = done + "%";
    const count = (name) => el("td", { class: "num", "data-count": name, text: String(c[name]) });
    const body = el("tbody", { "data-key": key },
      el("tr", {},
        el("th", { scope: "row" }, button),
        el("td", { title: d.message || "" }, badge(d.ready)),
        count("targeted"), count("pending"), count("running"), count("succeeded"), count("failed"),
        el("td", {}, bar)));
    if (open) {
      body.append(el("tr", { class: "machines", id: "machines-" + key },
        el("td", { colspan: "8" },
          d.machines.length === 0
            ? el("p", { class: "empty", text: "No machine targeted or heard from yet." })
            : machineTable(key, d))));
    }
    return body;
  }

  function deploymentVisible(d) {
    return matches(d.name, d.namespace) || d.machines.some((m) => matches(m.id, m.name, m.node));
  }

  function drawDeployments(changed) {
    const table = $("deployments-table");
    const all = kind("d");
    const shown = all.filter(([, d]) => deploymentVisible(d));
    $("deployments-count").textContent = filter ? shown.length + " of " + all.length : all.length;
    $("deployments-empty").hidden = shown.length > 0;
    table.hidden = shown.length === 0;
    const existing = new Map([...table.tBodies].map((b) => [b.dataset.key, b]));
    const wanted = new Set(shown.map(([k]) => k));
    for (const [k, b] of existing) {
      if (!wanted.has(k)) b.remove();
    }
    let previous = table.tHead;
    for (const [k, d] of shown) {
      let body = existing.get(k);
      if (!body || changed === null || changed.has(k)) {
        const fresh = deploymentBody(k, d);
        if (body) body.replaceWith(fresh);
        body = fresh;
      }
      if (previous.nextSibling !== body) previous.after(body);
      previous = body;
    }
  }

  function drawFailures() {
    const body = $("failures-table").tBodies[0];
    const rows = [];
    for (const [k, d] of kind("d")) {
      for (const m of d.machines) {
        if (m.state === "Failed" && machineMatches(d, m)) rows.push([k, d, m]);
      }
    }
    rows.sort((a, b) => (a[2].time < b[2].time ? 1 : -1));
    body.replaceChildren(...rows.map(([, d, m]) =>
      el("tr", { "data-machine": m.id, "data-deployment": label(d) },
        el("th", { scope: "row" }, m.name ? m.name + " " : "",
          el("span", { class: "small", text: m.id })),
        el("td", { text: label(d) }),
        el("td", { "data-field": "step", text: stepText(d, m) }),
        el("td", { "data-field": "exit", class: "num", text: m.exitCode !== undefined ? String(m.exitCode) : "" }),
        el("td", {}, m.time ? when(m.time) : ""),
        el("td", { "data-field": "output" }, el("pre", { class: "output", text: m.message || "" })))));
    $("failures-count").textContent = rows.length;
    $("failures-empty").hidden = rows.length > 0;
    $("failures-table").hidden = rows.length === 0;
  }

  function drawPoints() {
    const list = $("points-list");
    const all = kind("p");
    $("points-count").textContent = all.length;
    $("points-empty").hidden = all.length > 0;
    list.replaceChildren(...all.map(([k, p]) => {
      const nodes = el("tbody");
      for (const n of p.nodes) {
        const content = el("ul", { class: "small" });
        for (const i of n.images) {
          const amount = i.totalBytes ? " " + size(i.bytes || 0) + " of " + size(i.totalBytes) : "";
          content.append(el("li", {}, i.name + " ", badge(i.state), amount,
            i.reason ? " " + i.reason + ": " + (i.message || "") : ""));
        }
        const sessions = el("ul", { class: "small" });
        for (const s of n.sessions || []) {
          const joined = s.machines !== undefined
            ? s.machines + " machine" + (s.machines === 1 ? "" : "s") : "";
          let text = "";
          if (s.state === "Waiting") {
            text = " for " + (s.waitingFor || 0) + " more (" + joined + " joined)";
          } else if (joined) {
            text = " to " + joined;
          }
          sessions.append(el("li", { "data-session": s.image },
            s.image + " ", badge(s.state), text,
            s.startsBy ? el("span", { class: "small" }, ", starts by ", when(s.startsBy)) : null));
        }
        nodes.append(el("tr", { "data-node": n.name },
          el("th", { scope: "row" }, n.name, n.version ? el("div", { class: "small", text: "daemon " + n.version }) : null),
          el("td", {}, n.images.length ? content : "nothing assigned"),
          el("td", {}, (n.sessions || []).length ? sessions : "none")));
      }
      const ready = p.desiredNodes !== undefined
        ? " " + (p.readyNodes || 0) + " of " + p.desiredNodes + " nodes ready" : "";
      return el("div", { class: "point", "data-key": k },
        el("h3", {}, label(p) + " ", badge(p.ready), el("span", { class: "small", text: ready })),
        p.message ? el("p", { class: "small", text: p.message }) : null,
        p.nodes.length === 0 ? el("p", { class: "empty", text: "No node has reported yet." })
          : el("div", { class: "scroll" }, el("table", { "aria-label": "Nodes of " + label(p) },
            el("thead", {}, el("tr", {},
              el("th", { scope: "col", text: "Node" }),
              el("th", { scope: "col", text: "Content" }),
              el("th", { scope: "col", text: "Multicast sessions" }))),
            nodes)));
    }));
  }

  function drawSimple(prefix, id, row) {
    const all = kind(prefix);
    $(id + "-count").textContent = all.length;
    $(id + "-empty").hidden = all.length > 0;
    $(id + "-table").hidden = all.length === 0;
    $(id + "-table").tBodies[0].replaceChildren(...all.map(([k, r]) => row(k, r)));
  }

  function draw() {
    scheduled = false;
    const focusKey = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.focus : undefined;
    const changed = drawAll ? null : new Set(dirty);
    const any = (p) => changed === null || [...changed].some((k) => k.startsWith(p + "/"));
    if (any("d")) {
      drawDeployments(changed);
      drawFailures();
    }
    if (any("p")) drawPoints();
    if (any("m")) {
      drawSimple("m", "media", (k, m) => el("tr", { "data-key": k },
        el("th", { scope: "row", text: label(m) }),
        el("td", { title: m.message || "" }, badge(m.ready)),
        el("td", { class: "num", text: size(m.sizeBytes) }),
        el("td", {}, m.url ? el("a", { href: m.url, download: true, text: m.url }) : "not built yet")));
    }
    if (any("i")) {
      drawSimple("i", "images", (k, i) => el("tr", { "data-key": k },
        el("th", { scope: "row", text: label(i) }),
        el("td", {}, badge(i.ready)),
        el("td", { text: i.ready === "True" ? "" : (i.message || i.reason || "") })));
    }
    dirty.clear();
    drawAll = false;
    if (focusKey) {
      const again = document.querySelector('[data-focus="' + CSS.escape(focusKey) + '"]');
      if (again && again !== document.activeElement) again.focus();
    }
  }

  function schedule() {
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(draw);
    }
  }

  function markDirty(key) {
    dirty.add(key);
    schedule();
  }

  function apply(data, snapshot) {
    if (snapshot) {
      state.clear();
      drawAll = true;
    }
    for (const [k, v] of Object.entries(data.set)) {
      state.set(k, v);
      dirty.add(k);
    }
    for (const k of data.gone) {
      state.delete(k);
      expanded.delete(k);
      dirty.add(k);
    }
    document.body.dataset.seq = String(data.seq);
    const c = $("connection");
    c.className = "connection live";
    c.textContent = "Live, updated " + new Date().toLocaleTimeString();
    schedule();
  }

  function connect() {
    const events = new EventSource("events");
    events.addEventListener("snapshot", (e) => apply(JSON.parse(e.data), true));
    events.addEventListener("change", (e) => apply(JSON.parse(e.data), false));
    events.onerror = () => {
      const c = $("connection");
      c.className = "connection lost";
      c.textContent = "Connection lost; reconnecting…";
    };
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("filter").addEventListener("input", (e) => {
      filter = e.target.value.trim().toLowerCase();
      drawAll = true;
      schedule();
    });
    setInterval(() => {
      for (const t of document.querySelectorAll("time[data-time]")) {
        t.textContent = ago(t.dataset.time);
      }
    }, 1000);
    connect();
  });
})();
