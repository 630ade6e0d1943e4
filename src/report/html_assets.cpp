// The stylesheet and script of report.html (report/html.h). Written for this project; no
// third-party code. The script reads the JSON embedded in the page and builds every table
// and the gallery; the page's state (open dataset, sorts, filters, gallery page) lives in
// location.hash, so a view can be linked to and the browser test can set it from the URL.
namespace entcam {

extern const char* const kReportCss;
extern const char* const kReportJs;

const char* const kReportCss = R"CSS(
:root { --ink:#1d2430; --muted:#667085; --line:#e4e7ec; --bg:#f7f8fa; --card:#fff; --accent:#2f6fdf;
        --best:#e8f1ff; --good:#0f7b45; --bad:#b42318; --mono: ui-monospace, "DejaVu Sans Mono", monospace; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color:var(--ink); background:var(--bg); }
.wrap { max-width: 1480px; margin: 0 auto; padding: 0 24px; }
header { background: linear-gradient(120deg, #1d2a44, #2f4f86); color:#fff; padding: 22px 0 0; }
header h1 { margin:0 0 4px; font-size: 24px; font-weight: 650; letter-spacing: .2px; }
header .muted { color: #c9d4ea; font-size: 13px; }
nav { display:flex; gap: 4px; margin-top: 14px; flex-wrap: wrap; }
nav a { color:#dfe7f7; text-decoration:none; padding: 8px 14px; border-radius: 8px 8px 0 0; font-size: 14px; }
nav a.on { background: var(--bg); color: var(--ink); font-weight: 600; }
h2 { font-size: 19px; margin: 28px 0 10px; }
h3 { font-size: 15px; margin: 22px 0 8px; color: #344054; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; margin: 12px 0; box-shadow: 0 1px 2px rgba(16,24,40,.04); }
.facts { display:flex; flex-wrap: wrap; gap: 10px 28px; font-size: 14px; }
.facts b { display:block; font-size: 20px; font-weight: 650; }
.facts span { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .4px; }
.warn { background:#fff7e6; border-color:#f5d29a; color:#7a4b00; font-size: 14px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13.5px; width: max-content; min-width: 100%; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { position: sticky; top: 0; background: #f2f4f7; font-weight: 600; font-size: 12.5px; color: #344054; cursor: pointer; user-select: none; }
th:first-child, td:first-child { text-align: left; position: sticky; left: 0; background: inherit; }
tbody tr { background: var(--card); }
tbody tr:hover { background: #f9fafb; }
thead th:first-child { background: #f2f4f7; z-index: 1; }
th .dir { color: var(--muted); font-weight: 400; margin-left: 3px; }
th.sorted { color: var(--accent); }
td .ci { color: var(--muted); font-size: 11.5px; margin-left: 4px; font-family: var(--mono); }
td .v { font-family: var(--mono); }
td.best { background: var(--best); font-weight: 700; }
td.best .v::after { content: " ★"; color: var(--accent); font-size: 11px; }
td.sig-good .v { color: var(--good); font-weight: 600; }
td.sig-bad .v { color: var(--bad); font-weight: 600; }
.legend { color: var(--muted); font-size: 12.5px; margin: 6px 2px; }
.figs { display:grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 12px; }
.figs a { display:block; background: var(--card); border:1px solid var(--line); border-radius: 8px; padding: 6px; }
.figs img { width:100%; display:block; }
.figs .wide { grid-column: 1 / -1; }
.controls { display:flex; flex-wrap: wrap; gap: 8px 18px; align-items: center; font-size: 13.5px; }
.controls label { color: #344054; }
select, input, button { font: inherit; font-size: 13px; padding: 4px 6px; border: 1px solid #d0d5dd; border-radius: 6px; background: #fff; color: var(--ink); }
button { cursor: pointer; }
button:disabled { opacity: .4; cursor: default; }
.pager { display:flex; gap: 8px; align-items:center; margin: 10px 0; font-size: 13.5px; }
.gallery { display:flex; flex-direction: column; gap: 10px; }
.g-row { display:flex; gap: 8px; background: var(--card); border:1px solid var(--line); border-radius: 10px; padding: 10px; overflow-x:auto; }
.g-cell { flex: 0 0 auto; width: var(--cell); font-size: 11.5px; }
.g-cell .t { font-weight: 600; font-size: 11.5px; white-space: nowrap; overflow:hidden; text-overflow: ellipsis; margin-bottom: 3px; }
.g-cell .t.hl { color: var(--accent); }
.pic { position: relative; width: var(--cell); height: var(--cell); background:#222; border-radius: 6px; overflow: hidden; }
.pic > img { position:absolute; inset: 0; width:100%; height:100%; object-fit: fill; }
.pic .strip { position:absolute; top:0; height:100%; max-width:none; filter: url(#jet); opacity: var(--alpha, .55); }
.pic .nomap { position:absolute; inset:0; display:flex; align-items:center; justify-content:center; color:#ddd; }
.g-cell dl { margin: 4px 0 0; font-family: var(--mono); font-size: 11px; line-height: 16px; }
.g-cell.first { width: calc(var(--cell) + 40px); }
.g-cell.first .pic { width: var(--cell); }
.g-cell dt { color: var(--muted); overflow:hidden; text-overflow: ellipsis; white-space: nowrap; }
.g-cell dd { margin:0; text-align:right; padding-right: 4px; }
.g-cell dd:nth-child(even), .g-cell dt:nth-child(even) { background: #f5f7fa; }
.g-cell dd.hl, .g-cell dt.hl { color: var(--accent); font-weight: 700; }
.g-cell .info { color: var(--muted); font-size: 11px; }
.chips { display:flex; flex-wrap: wrap; gap: 4px 10px; font-size: 12.5px; }
.muted { color: var(--muted); }
footer { color: var(--muted); font-size: 12px; padding: 30px 0; }
)CSS";

const char* const kReportJs = R"JS(
"use strict";
const D = JSON.parse(document.getElementById("report-data").textContent);
const INFO = D.metric_info || {};
const $ = (tag, attrs, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
};
const higher = m => !(m in INFO) || INFO[m].higher;
const fmt = (m, v) => v == null || !isFinite(v) ? "–" : (INFO[m] && INFO[m].percent ? v.toFixed(2) : v.toFixed(3));
const arrow = m => higher(m) ? "↑" : "↓";

// ---- state in the URL hash: #ds=0&view=summary&sort=method:metric:asc ... ----
const S = Object.assign({ ds: "0", view: "summary", page: "1", per: "20" },
  Object.fromEntries(new URLSearchParams(location.hash.slice(1))));
const save = () => history.replaceState(null, "", "#" + new URLSearchParams(S).toString());

function metricsOf(methods) {
  const present = new Set();
  for (const m of Object.values(methods || {})) for (const k of Object.keys(m)) present.add(k);
  const order = (D.metric_order || []).filter(m => present.has(m));
  for (const m of present) if (!order.includes(m)) order.push(m);
  return order;
}

// A methods x metrics table of {n, mean, ci95}; best per column by the metric's direction;
// every column header sorts. `key` names the table's sort state in S.
function summaryTable(methods, key, order) {
  const metrics = metricsOf(methods);
  const names = (order || []).filter(n => n in (methods || {}));
  for (const n of Object.keys(methods || {})) if (!names.includes(n)) names.push(n);
  const best = {};
  for (const m of metrics) {
    const vals = names.map(n => methods[n][m] && methods[n][m].mean).filter(v => v != null && isFinite(v));
    if (vals.length) best[m] = higher(m) ? Math.max(...vals) : Math.min(...vals);
  }
  const table = $("table", { class: "summary", "data-key": key });
  const body = $("tbody");
  function draw() {
    const [col, dir] = (S[key] || ":").split(":");
    const rows = names.slice();
    if (col) rows.sort((a, b) => {
      if (col === "method") return a.localeCompare(b) * (dir === "desc" ? -1 : 1);
      const va = methods[a][col] ? methods[a][col].mean : null, vb = methods[b][col] ? methods[b][col].mean : null;
      if (va == null) return 1; if (vb == null) return -1;
      return (va - vb) * (dir === "desc" ? -1 : 1);
    });
    body.replaceChildren(...rows.map(n => $("tr", { "data-method": n }, $("td", { text: n }),
      ...metrics.map(m => {
        const s = methods[n][m];
        if (!s || s.mean == null) return $("td", { text: "–" });
        const td = $("td", { class: s.mean === best[m] ? "best" : "", title: "n = " + s.n },
          $("span", { class: "v", text: fmt(m, s.mean) }));
        if (s.ci95 && s.ci95[0] != null) td.append($("span", { class: "ci", text: "[" + fmt(m, s.ci95[0]) + ", " + fmt(m, s.ci95[1]) + "]" }));
        return td;
      }))));
    for (const th of head.querySelectorAll("th")) th.classList.toggle("sorted", th.dataset.col === col);
  }
  const sortBy = col => () => {
    const [c, d] = (S[key] || ":").split(":");
    const first = col === "method" ? "asc" : (higher(col) ? "desc" : "asc");
    S[key] = col + ":" + (c === col ? (d === "asc" ? "desc" : "asc") : first);
    save(); draw();
  };
  const head = $("tr", {}, $("th", { "data-col": "method", onclick: sortBy("method"), text: "method" }),
    ...metrics.map(m => $("th", { "data-col": m, onclick: sortBy(m), title: m },
      m, $("span", { class: "dir", text: arrow(m) }))));
  table.append($("thead", {}, head), body);
  draw();
  return $("div", { class: "card scroll" }, table);
}

// Paired differences against the reference, coloured where p < 0.05.
function pairedTable(paired, order) {
  const methods = paired.methods || {};
  const metrics = metricsOf(methods);
  const table = $("table", { class: "paired" });
  table.append($("thead", {}, $("tr", {}, $("th", { text: "method − " + paired.reference }),
    ...metrics.map(m => $("th", {}, m, $("span", { class: "dir", text: arrow(m) }))))));
  const body = $("tbody");
  const names = (order || []).filter(n => n in methods);
  for (const n of Object.keys(methods)) if (!names.includes(n)) names.push(n);
  for (const [n, row] of names.map(n => [n, methods[n]])) body.append($("tr", {}, $("td", { text: n }), ...metrics.map(m => {
    const c = row[m];
    if (!c || c.mean_diff == null) return $("td", { text: "–" });
    const good = (c.mean_diff > 0) === higher(m);
    const td = $("td", { class: c.p_value != null && c.p_value < 0.05 && c.mean_diff !== 0 ? (good ? "sig-good" : "sig-bad") : "",
      title: (c.test || "") + "; n = " + c.n }, $("span", { class: "v", text: (c.mean_diff > 0 ? "+" : "") + fmt(m, c.mean_diff) }));
    td.append($("span", { class: "ci", text: "p=" + (c.p_value == null ? "–" : c.p_value < 0.001 ? "<0.001" : c.p_value.toFixed(3)) }));
    return td;
  })));
  table.append(body);
  return $("div", { class: "card scroll" }, table);
}

// MPRT curves (sanity.mprt.<method> = [{layer, spearman: {mean}, ssim: {mean}}]): one table
// per similarity, methods x randomised layers (top-down).
function mprtTables(mprt) {
  const methods = Object.keys(mprt || {});
  if (!methods.length) return [];
  const layers = (mprt[methods[0]] || []).map(p => p.layer);
  return ["spearman", "ssim"].map(sim => {
    const t = $("table", { class: "mprt" });
    t.append($("thead", {}, $("tr", {}, $("th", { text: sim + " after randomising ↓" }), ...layers.map(l => $("th", { text: l })))));
    const body = $("tbody");
    for (const m of methods) body.append($("tr", {}, $("td", { text: m }), ...(mprt[m] || []).map(p =>
      $("td", {}, $("span", { class: "v", text: p[sim] && p[sim].mean != null ? p[sim].mean.toFixed(3) : "–" })))));
    t.append(body);
    return $("div", { class: "card scroll" }, t);
  });
}

function figures(list) {
  if (!list.length) return null;
  return $("div", { class: "figs" }, ...list.map(f => $("a", { href: f, class: f.includes("/grid-") ? "wide" : "" },
    $("img", { src: f, loading: "lazy", alt: f }))));
}

function summaryView(d, i) {
  const out = [];
  const facts = [["images explained", d.n_explained], ["train / test", (d.n_train ?? "–") + " / " + (d.n_test ?? "–")],
    ["test accuracy", d.training && d.training.test_accuracy != null ? (100 * d.training.test_accuracy).toFixed(1) + "%" : "–"],
    ["target layer", d.layer || "–"], ["classes", d.classes ? d.classes.length : "–"]];
  out.push($("div", { class: "card facts" }, ...facts.map(([k, v]) => $("div", {}, $("span", { text: k }), $("b", { text: String(v ?? "–") })))));
  const warnings = (d.warnings || []).map(w => typeof w === "string" ? w : JSON.stringify(w));
  const degenerate = Object.entries(d.degenerate_maps || {}).filter(([, c]) => c > 0).map(([m, c]) => m + ": " + c);
  if (degenerate.length) warnings.push("degenerate maps (all zero or non-finite): " + degenerate.join(", "));
  if (warnings.length) out.push($("div", { class: "card warn" }, ...warnings.map(w => $("div", { text: "⚠ " + w }))));
  out.push($("h2", { text: "Methods × metrics" }),
    $("div", { class: "legend", text: "mean with 95% bootstrap CI · ★ best per column (↑ higher is better, ↓ lower is better) · click a header to sort" }),
    summaryTable(d.methods, "t" + i, d.gallery && d.gallery.methods));
  if (d.paired && d.paired.methods && Object.keys(d.paired.methods).length) {
    out.push($("h2", { text: "Paired tests against " + d.paired.reference }),
      $("div", { class: "legend", text: "mean paired difference on the same images and Wilcoxon signed-rank p · green: significantly better, red: significantly worse (p < 0.05)" }),
      pairedTable(d.paired, d.gallery && d.gallery.methods));
  }
  if (d.by_source && Object.keys(d.by_source).length) {
    out.push($("h2", { text: "Per source" }));
    for (const [src, s] of Object.entries(d.by_source))
      out.push($("h3", { text: src + " · " + (s.n_explained ?? "?") + " images" }),
        summaryTable(s.methods, "s" + i + "_" + src, d.gallery && d.gallery.methods));
  }
  const sanity = d.sanity || D.sanity;
  if (sanity && sanity.mprt && Object.keys(sanity.mprt).length)
    out.push($("h2", { text: "Sanity check: model parameter randomisation (MPRT)" }),
      $("div", { class: "legend", text: "similarity of each method's map to the original as layers are randomised from the top; lower = the map depends more on the model" }),
      ...mprtTables(sanity.mprt));
  const mine = (D.figures || []).filter(f => f.includes("-" + d.name + "-") || f.endsWith("-" + d.name + ".png"));
  const groups = [["Figure 1 grid", f => f.includes("/grid-")], ["Metric charts", f => f.includes("/bars-")],
    ["Sweep", f => f.includes("/sweep-")], ["Sanity checks", f => /\/(sanity|mprt)/.test(f)]];
  for (const [title, test] of groups) {
    const fig = figures(mine.filter(test));
    if (fig) out.push($("h2", { text: title }), fig);
  }
  const other = (D.figures || []).filter(f => !groups.some(([, t]) => t(f)) && (D.datasets.length === 1 || mine.includes(f)));
  if (other.length) out.push($("h2", { text: "Other figures" }), figures(other));
  return out;
}

// ---- gallery: filter, sort and page over images; only one page is ever in the DOM ----
function galleryView(d, i) {
  const g = d.gallery;
  if (!g || !g.images.length) return [$("p", { class: "muted", text: "No per-image rows for this dataset." })];
  const M = g.methods, K = g.metrics, V = g.values;
  const mi = m => M.indexOf(m), ki = k => K.indexOf(k);
  const strip = g.strip || [];
  const opt = (list, sel) => list.map(x => { const o = $("option", { value: x, text: x }); if (x === sel) o.selected = true; return o; });
  const def = (k, v) => { if (!(k in S)) S[k] = v; };
  const firstOther = M.find(m => m !== "grad_cam") || M[0];
  def("gsm", M.includes("grad_entropy_cam") ? "grad_entropy_cam" : M[0]); def("gsk", K[0] || ""); def("gsd", K[0] && !higher(K[0]) ? "asc" : "desc");
  def("fa", M.includes("grad_entropy_cam") ? "grad_entropy_cam" : firstOther); def("fb", M.includes("grad_cam") ? "grad_cam" : M[0]);
  def("fk", K.includes("instance_recall") ? "instance_recall" : (K[0] || "")); def("fon", "0"); def("fby", "0"); def("q", "");
  def("show", K.slice(0, 6).join(",")); def("von", "0"); def("vm", S.gsm); def("vk", S.gsk); def("vop", "ge");
  def("vv", "0.5"); def("alpha", "55");
  const count = $("span", { id: "g-count" }), list = $("div", { class: "gallery", id: "gallery" });
  const pageInfo = $("span"), prev = $("button", { text: "‹ previous" }), next = $("button", { text: "next ›" });
  const val = (r, m, k) => { const a = mi(m), b = ki(k); return a < 0 || b < 0 ? null : V[r][a][b]; };
  function rows() {
    let idx = g.images.map((_, r) => r);
    if (S.q) idx = idx.filter(r => g.images[r].id.toLowerCase().includes(S.q.toLowerCase()));
    if (S.fon === "1") {
      const by = parseFloat(S.fby) || 0, up = higher(S.fk);
      idx = idx.filter(r => {
        const a = val(r, S.fa, S.fk), b = val(r, S.fb, S.fk);
        return a != null && b != null && (up ? a - b > by : b - a > by);
      });
    }
    if (S.von === "1") {
      const t = parseFloat(S.vv);
      idx = idx.filter(r => { const v = val(r, S.vm, S.vk); return v != null && (S.vop === "le" ? v <= t : v >= t); });
    }
    const sgn = S.gsd === "asc" ? 1 : -1;
    if (S.gsk) idx.sort((x, y) => {
      const a = val(x, S.gsm, S.gsk), b = val(y, S.gsm, S.gsk);
      if (a == null) return b == null ? x - y : 1; if (b == null) return -1;
      return (a - b) * sgn || x - y;
    });
    return idx;
  }
  function cell(r, m) {
    const im = g.images[r], pic = $("div", { class: "pic" });
    if (im.img) pic.append($("img", { src: im.img, loading: "lazy", alt: im.id }));
    if (m != null) {
      const s = strip.indexOf(m);
      if (im.maps && s >= 0) {
        pic.append($("img", { class: "strip", src: im.maps, loading: "lazy", alt: m,
          style: "width:" + (100 * strip.length) + "%;left:-" + (100 * s) + "%" }));
      } else if (!im.img) pic.append($("div", { class: "nomap", text: "no thumbnail" }));
    }
    return pic;
  }
  function draw() {
    const idx = rows(), per = Math.max(1, parseInt(S.per) || 20), pages = Math.max(1, Math.ceil(idx.length / per));
    S.page = String(Math.min(Math.max(1, parseInt(S.page) || 1), pages));
    const p = parseInt(S.page);
    count.textContent = idx.length + " of " + g.images.length + " images";
    pageInfo.textContent = "page " + p + " of " + pages;
    prev.disabled = p <= 1; next.disabled = p >= pages;
    const show = S.show ? S.show.split(",").filter(k => K.includes(k)) : [];
    const hl = new Set([S.gsk, S.fon === "1" ? S.fk : null, S.von === "1" ? S.vk : null]);
    list.style.setProperty("--alpha", (parseInt(S.alpha) || 0) / 100);
    list.replaceChildren(...idx.slice((p - 1) * per, p * per).map(r => {
      const im = g.images[r];
      // The metric names once, under the image; each map has only the values, row by row.
      const names = $("dl", { class: "names" }, ...show.map(k => $("dt", { class: hl.has(k) ? "hl" : "", text: k, title: k })));
      const first = $("div", { class: "g-cell first" }, $("div", { class: "t", text: im.id, title: im.id }), cell(r, null), names);
      if (im.info) first.append($("div", { class: "info", text: Object.entries(im.info).map(([k, v]) => k + ": " + v).join(" · ") }));
      return $("div", { class: "g-row", "data-image": im.id }, first, ...M.map(m => {
        const dl = $("dl");
        for (const k of show) dl.append($("dd", { class: hl.has(k) ? "hl" : "", text: fmt(k, val(r, m, k)), title: k }));
        return $("div", { class: "g-cell", "data-method": m },
          $("div", { class: "t" + (m === S.gsm || (S.fon === "1" && (m === S.fa || m === S.fb)) ? " hl" : ""), text: m, title: m }), cell(r, m), dl);
      }));
    }));
    save();
  }
  const set = k => e => { S[k] = e.target.type === "checkbox" ? (e.target.checked ? "1" : "0") : e.target.value; if (k !== "page") S.page = "1"; draw(); };
  prev.onclick = () => { S.page = String(parseInt(S.page) - 1); draw(); window.scrollTo(0, list.offsetTop - 80); };
  next.onclick = () => { S.page = String(parseInt(S.page) + 1); draw(); window.scrollTo(0, list.offsetTop - 80); };
  const cb = $("input", { type: "checkbox", id: "fon", onchange: set("fon") }); cb.checked = S.fon === "1";
  const vcb = $("input", { type: "checkbox", id: "von", onchange: set("von") }); vcb.checked = S.von === "1";
  const showBoxes = $("div", { class: "chips" }, $("span", { class: "muted", text: "metrics under the maps:" }), ...K.map(k => {
    const c = $("input", { type: "checkbox", onchange: () => {
      const cur = new Set(S.show ? S.show.split(",") : []); c.checked ? cur.add(k) : cur.delete(k);
      S.show = K.filter(x => cur.has(x)).join(","); draw(); } });
    c.checked = (S.show || "").split(",").includes(k);
    return $("label", {}, c, " " + k);
  }));
  const controls = $("div", { class: "card" },
    $("div", { class: "controls" },
      $("label", {}, "sort by ", $("select", { id: "gsm", onchange: set("gsm") }, ...opt(M, S.gsm)), " ",
        $("select", { id: "gsk", onchange: set("gsk") }, ...opt(K, S.gsk)), " ",
        $("select", { id: "gsd", onchange: set("gsd") }, ...opt(["desc", "asc"], S.gsd))),
      $("label", {}, cb, " only images where ", $("select", { id: "fa", onchange: set("fa") }, ...opt(M, S.fa)),
        " beats ", $("select", { id: "fb", onchange: set("fb") }, ...opt(M, S.fb)), " on ",
        $("select", { id: "fk", onchange: set("fk") }, ...opt(K, S.fk)), " by more than ",
        $("input", { id: "fby", type: "number", step: "0.01", value: S.fby, style: "width:70px", onchange: set("fby") })),
      $("label", {}, vcb, " only images where ", $("select", { id: "vm", onchange: set("vm") }, ...opt(M, S.vm)), " ",
        $("select", { id: "vk", onchange: set("vk") }, ...opt(K, S.vk)), " ",
        $("select", { id: "vop", onchange: set("vop") }, ...[["ge", "≥"], ["le", "≤"]].map(([v, t]) => {
          const o = $("option", { value: v, text: t }); if (v === S.vop) o.selected = true; return o; })), " ",
        $("input", { id: "vv", type: "number", step: "0.05", value: S.vv, style: "width:70px", onchange: set("vv") })),
      $("label", {}, "image id ", $("input", { id: "q", type: "search", value: S.q, placeholder: "filter", oninput: set("q") })),
      $("label", {}, "map opacity ", $("input", { id: "alpha", type: "range", min: "0", max: "100", value: S.alpha,
        oninput: e => { S.alpha = e.target.value; list.style.setProperty("--alpha", S.alpha / 100); save(); } })),
      $("label", {}, "per page ", $("select", { id: "per", onchange: set("per") }, ...opt(["10", "20", "50", "100"], S.per)))),
    $("div", { style: "margin-top:8px" }, showBoxes));
  // Cells shrink (to 96 px) so that an image and all its maps fit the width where they can.
  const room = (document.getElementById("main").clientWidth || 1200) - 88 - 8 * (M.length + 1);
  const cellPx = Math.max(96, Math.min(150, Math.floor(room / (M.length + 1))));
  list.style.setProperty("--cell", cellPx + "px");
  const pager = () => $("div", { class: "pager" }, prev, pageInfo, next, $("span", { class: "muted" }, " · ", count));
  const top = pager();
  draw();
  return [$("h2", { text: "Gallery" }),
    $("div", { class: "legend", text: "each image with its boxes (green), then every method's map over it (JET, red = high); per-image metrics under each map" }),
    controls, top, list];
}

function render() {
  const t0 = performance.now();
  const main = document.getElementById("main"), nav = document.getElementById("nav");
  const env = D.environment || {};
  document.getElementById("env").textContent = ["entcam " + (env.entcam || "?"), "git " + (env.git || "?"),
    "libtorch " + (env.libtorch || "?"), env.device, env.threads ? env.threads + " threads" : null,
    D.timing && D.timing.total ? "total " + Math.round(D.timing.total) + " s" : null].filter(Boolean).join(" · ");
  const i = Math.min(parseInt(S.ds) || 0, Math.max(0, D.datasets.length - 1));
  const d = D.datasets[i];
  nav.replaceChildren(...D.datasets.flatMap((x, j) => ["summary", "gallery"].map(v =>
    $("a", { href: "#", class: j === i && S.view === v ? "on" : "", text: (D.datasets.length > 1 ? x.name + " · " : "") + v,
      onclick: e => { e.preventDefault(); S.ds = String(j); S.view = v; save(); render(); window.scrollTo(0, 0); } }))));
  if (!d) { main.replaceChildren($("p", { text: "This report has no datasets." })); return; }
  const parts = S.view === "gallery" ? galleryView(d, i) : summaryView(d, i);
  main.replaceChildren($("h2", { class: "ds", text: d.name + (d.label_space ? " (" + d.label_space + ")" : "") }), ...parts,
    $("footer", { text: "entcam report · data: report.json, per_image.jsonl · figures/ also as PDF and SVG" }));
  save();
  document.documentElement.dataset.renderMs = (performance.now() - t0).toFixed(1);  // read by the tests
}
render();
)JS";

}  // namespace entcam
