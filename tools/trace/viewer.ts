// viewer.ts: the browser side of sview, as text html.ts inlines into the page: the stylesheet and
// the script that draws the three panes on <canvas>, zooms, pans, hit-tests and fills the tables.
//
// Owns: drawing, interaction, and `window.sview`, the hooks the browser tests drive:
//   ready, sliceCount, slicesDrawn() (task slices drawn by the last render), slice(i) (details),
//   slicePoint(i) (viewport x, y of slice i's centre; scrolls it into view), range() ({t0, t1} µs),
//   zoomTo(t0, t1), focus(i) (zoom so slice i fills the middle of the view).
// Not: the model (html.ts builds it). Plain ES2019 in a String.raw: no backticks, no dollar-brace.

export const VIEWER_CSS = String.raw`
:root { --fg: #24292f; --muted: #6e7781; --line: #d8dee4; --bg: #fbfbfa; --panel: #fff; }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: baseline; gap: 14px; padding: 10px 16px 6px; flex-wrap: wrap; }
h1 { font-size: 16px; margin: 0; font-weight: 600; }
h2 { font-size: 12px; margin: 0 0 4px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
h2 small { text-transform: none; letter-spacing: 0; font-weight: 400; margin-left: 8px; }
#meta, #range { color: var(--muted); font-variant-numeric: tabular-nums; }
nav { margin-left: auto; display: flex; gap: 6px; align-items: center; }
button { font: inherit; min-width: 32px; padding: 2px 8px; border: 1px solid var(--line); background: var(--panel); border-radius: 4px; cursor: pointer; }
button:hover { background: #f0f2f4; }
#legend { display: flex; gap: 14px; padding: 0 16px 8px; flex-wrap: wrap; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
#lost-banner { margin: 0 16px 8px; padding: 6px 10px; background: #fff4e5; border: 1px solid #f0c36d; border-radius: 4px; }
main { padding: 0 16px; }
#axis { position: sticky; top: 0; z-index: 2; display: block; width: 100%; height: 24px; background: var(--bg); }
.pane { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px 0 6px; margin-bottom: 10px; }
.pane h2 { padding: 0 10px; }
.pane canvas { display: block; width: 100%; cursor: grab; }
.pane canvas.dragging { cursor: grabbing; }
#summary { padding: 4px 16px 24px; }
.tables { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
table { border-collapse: collapse; background: var(--panel); border: 1px solid var(--line); font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--line); text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
td.lost { color: #b42318; font-weight: 600; }
#sview-tooltip { position: fixed; z-index: 10; pointer-events: none; background: rgba(36,41,47,.94); color: #fff; padding: 6px 9px; border-radius: 5px; font-size: 12px; max-width: 360px; box-shadow: 0 2px 8px rgba(0,0,0,.2); }
#sview-tooltip b { font-weight: 600; }
#sview-tooltip .k { color: #aeb7c2; display: inline-block; min-width: 64px; }
`;

export const VIEWER_JS = String.raw`
(function () {
"use strict";
var M = JSON.parse(document.getElementById("sview-data").textContent);
var PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
var color = function (m) { return PALETTE[m % PALETTE.length]; };
var S = M.slices, N = S.t.length, CORES = M.cores;
var LABEL_W = 110, RIGHT = 12;
var ROW_LOAD = 44, ROW_ASSIGN = 20, ROW_TASK = 26, PAD = 4;
var END = Math.max(M.end, 1);
for (var i = 0; i < N; i++) END = Math.max(END, S.t[i] + S.d[i]);
var view = { t0: 0, t1: END };
var drawn = 0;

// Per core: slice indices in start order, for drawing the visible part and for hit-testing.
var byCore = [];
for (var c = 0; c < CORES; c++) byCore.push([]);
for (var i = 0; i < N; i++) byCore[S.c[i]].push(i);

var panes = {
  load: { el: document.querySelector("#pane-load canvas"), rows: M.machines.length, rowH: ROW_LOAD },
  assign: { el: document.querySelector("#pane-assign canvas"), rows: CORES, rowH: ROW_ASSIGN },
  tasks: { el: document.querySelector("#pane-tasks canvas"), rows: CORES, rowH: ROW_TASK }
};
var axis = document.getElementById("axis");
var tip = document.getElementById("sview-tooltip");

function ms(us) { return (us / 1000).toFixed(us < 10000 ? 3 : 2) + " ms"; }
function dur(us) { return us < 1000 ? us.toFixed(us < 10 ? 2 : 1) + " µs" : (us / 1000).toFixed(3) + " ms"; }
function plotW(p) { return p.cssW - LABEL_W - RIGHT; }
function tx(p, t) { return LABEL_W + (t - view.t0) / (view.t1 - view.t0) * plotW(p); }
function xt(p, x) { return view.t0 + (x - LABEL_W) / plotW(p) * (view.t1 - view.t0); }
function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; }); }

function size(p, h) {
  var dpr = window.devicePixelRatio || 1, w = p.el.clientWidth || p.el.parentNode.clientWidth;
  p.cssW = w; p.cssH = h;
  p.el.style.height = h + "px";
  if (p.el.width !== Math.round(w * dpr) || p.el.height !== Math.round(h * dpr)) { p.el.width = Math.round(w * dpr); p.el.height = Math.round(h * dpr); }
  var g = p.el.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  g.font = "12px system-ui, sans-serif"; g.textBaseline = "middle";
  return g;
}

// Tick step: 1, 2 or 5 × 10^k µs, about every 110 px.
function ticks(p) {
  var span = view.t1 - view.t0, raw = span / Math.max(1, plotW(p) / 110);
  var k = Math.pow(10, Math.floor(Math.log10(raw))), step = k;
  if (raw / k > 5) step = 10 * k; else if (raw / k > 2) step = 5 * k; else if (raw / k > 1) step = 2 * k;
  var out = [];
  for (var t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) out.push(t);
  return { list: out, step: step };
}
function tickLabel(t, step) {
  var d = Math.max(0, Math.min(6, Math.ceil(-Math.log10(step / 1000))));
  return (t / 1000).toFixed(d);
}
function grid(g, p) {
  g.strokeStyle = "#eef0f2"; g.lineWidth = 1;
  ticks(p).list.forEach(function (t) { var x = Math.round(tx(p, t)) + 0.5; g.beginPath(); g.moveTo(x, 0); g.lineTo(x, p.cssH); g.stroke(); });
}
function rowLabel(g, text, y, h, sub) {
  g.fillStyle = "#24292f"; g.textAlign = "left";
  g.fillText(text, 10, y + h / 2 - (sub ? 6 : 0));
  if (sub) { g.fillStyle = "#8c959f"; g.font = "10px system-ui, sans-serif"; g.fillText(sub, 10, y + h / 2 + 8); g.font = "12px system-ui, sans-serif"; }
}
function clipPlot(g, p) { g.save(); g.beginPath(); g.rect(LABEL_W, 0, plotW(p), p.cssH); g.clip(); }

function drawAxis() {
  var p = { el: axis }, g = size(p, 24), tk = ticks(p);
  g.fillStyle = "#6e7781"; g.textAlign = "center";
  g.strokeStyle = "#c9d1d9";
  g.beginPath(); g.moveTo(LABEL_W, 23.5); g.lineTo(p.cssW - RIGHT, 23.5); g.stroke();
  tk.list.forEach(function (t) {
    var x = tx(p, t);
    g.beginPath(); g.moveTo(Math.round(x) + 0.5, 18); g.lineTo(Math.round(x) + 0.5, 24); g.stroke();
    g.fillText(tickLabel(t, tk.step), x, 10);
  });
  g.textAlign = "left"; g.fillText("ms", 10, 10);
}

// The last sample at or before t (samples sorted by time); -1 if none.
function before(ts, t) { var lo = 0, hi = ts.length - 1, r = -1; while (lo <= hi) { var mid = (lo + hi) >> 1; if (ts[mid] <= t) { r = mid; lo = mid + 1; } else hi = mid - 1; } return r; }

function drawLoad() {
  var p = panes.load, g = size(p, p.rows * p.rowH + PAD);
  grid(g, p);
  var maxCores = Math.max(1, CORES);
  M.machines.forEach(function (mach, m) {
    var y = m * p.rowH + PAD, h = p.rowH - 6, L = M.load[m];
    g.strokeStyle = "#eef0f2"; g.beginPath(); g.moveTo(LABEL_W, y + h + 0.5); g.lineTo(p.cssW - RIGHT, y + h + 0.5); g.stroke();
    rowLabel(g, mach.name, y, h, "load · cores");
    if (!L.t.length) return;
    clipPlot(g, p);
    var i0 = Math.max(0, before(L.t, view.t0)), i1 = Math.min(L.t.length - 1, before(L.t, view.t1) + 1);
    var yv = function (v) { return y + h - v * h; };
    // utilisation: a filled line chart
    g.beginPath(); g.moveTo(tx(p, L.t[i0]), y + h);
    for (var i = i0; i <= i1; i++) g.lineTo(tx(p, L.t[i]), yv(Math.max(0, Math.min(1, L.load[i]))));
    g.lineTo(tx(p, L.t[i1]), y + h); g.closePath();
    g.globalAlpha = 0.22; g.fillStyle = color(m); g.fill(); g.globalAlpha = 1;
    g.beginPath();
    for (var i = i0; i <= i1; i++) { var x = tx(p, L.t[i]), v = yv(Math.max(0, Math.min(1, L.load[i]))); i === i0 ? g.moveTo(x, v) : g.lineTo(x, v); }
    g.strokeStyle = color(m); g.lineWidth = 1.5; g.stroke();
    // cores assigned: a step line, full height = every core
    g.beginPath();
    for (var i = i0; i <= i1; i++) {
      var x = tx(p, L.t[i]), v = yv(L.cores[i] / maxCores);
      if (i === i0) g.moveTo(x, v); else { g.lineTo(x, yv(L.cores[i - 1] / maxCores)); g.lineTo(x, v); }
    }
    g.lineTo(tx(p, Math.max(view.t1, L.t[i1])), yv(L.cores[i1] / maxCores));
    g.strokeStyle = "#24292f"; g.lineWidth = 1; g.setLineDash([4, 3]); g.stroke(); g.setLineDash([]);
    g.restore();
  });
}

function drawAssign() {
  var p = panes.assign, g = size(p, p.rows * p.rowH + PAD);
  grid(g, p);
  for (var c = 0; c < CORES; c++) {
    var y = c * p.rowH + PAD, h = p.rowH - 4, A = M.assign[c];
    rowLabel(g, "core " + c, y, h);
    g.fillStyle = "#f3f4f6"; g.fillRect(LABEL_W, y, plotW(p), h);
    clipPlot(g, p);
    for (var i = 0; i < A.t.length; i++) {
      if (A.t[i] > view.t1 || A.t[i] + A.d[i] < view.t0) continue;
      var x0 = tx(p, A.t[i]), x1 = tx(p, A.t[i] + A.d[i]);
      g.fillStyle = color(A.m[i]); g.fillRect(x0, y, Math.max(1, x1 - x0), h);
      if (x1 - x0 > 60) { g.fillStyle = "#fff"; g.textAlign = "left"; g.fillText(M.machines[A.m[i]].name, Math.max(x0, LABEL_W) + 4, y + h / 2); }
    }
    g.restore();
  }
}

// First index in the core's list whose slice ends at or after t.
function firstVisible(list, t) {
  var lo = 0, hi = list.length;
  while (lo < hi) { var mid = (lo + hi) >> 1, j = list[mid]; if (S.t[j] + S.d[j] < t) lo = mid + 1; else hi = mid; }
  return lo;
}

function drawTasks() {
  var p = panes.tasks, g = size(p, p.rows * p.rowH + PAD);
  grid(g, p);
  drawn = 0;
  for (var c = 0; c < CORES; c++) {
    var y = c * p.rowH + PAD, h = p.rowH - 6, list = byCore[c];
    rowLabel(g, "core " + c, y, h, list.length + " slices");
    g.strokeStyle = "#eef0f2"; g.beginPath(); g.moveTo(LABEL_W, y + h + 2.5); g.lineTo(p.cssW - RIGHT, y + h + 2.5); g.stroke();
    clipPlot(g, p);
    for (var k = firstVisible(list, view.t0); k < list.length; k++) {
      var i = list[k];
      if (S.t[i] > view.t1) break;
      var x0 = tx(p, S.t[i]), w = Math.max(1, tx(p, S.t[i] + S.d[i]) - x0);
      g.fillStyle = color(S.m[i]); g.fillRect(x0, y, w, h);
      drawn++;
      if (w > 4) { g.fillStyle = "rgba(255,255,255,.55)"; g.fillRect(x0 + w - 1, y, 1, h); }
      if (w > 46) {
        g.fillStyle = "#fff"; g.textAlign = "left";
        var name = M.fnNames[S.f[i]], x = Math.max(x0, LABEL_W) + 4, room = x0 + w - x - 6;
        if (room > 20) { while (name.length > 1 && g.measureText(name).width > room) name = name.slice(0, -2) + "…"; g.fillText(name, x, y + h / 2); }
      }
    }
    g.restore();
  }
  clipPlot(g, p);
  M.marks.forEach(function (mk) {
    if (mk.t < view.t0 || mk.t > view.t1 || mk.c >= CORES) return;
    var x = tx(p, mk.t), y = mk.c * p.rowH + PAD;
    g.fillStyle = mk.name === "trap" || mk.name === "stall" || mk.name.indexOf("lost") >= 0 ? "#b42318" : "#57606a";
    g.beginPath(); g.moveTo(x - 4, y - 3); g.lineTo(x + 4, y - 3); g.lineTo(x, y + 3); g.closePath(); g.fill();
  });
  if (document.getElementById("show-flows").checked) {
    g.strokeStyle = "rgba(36,41,47,.45)"; g.lineWidth = 1;
    M.flows.forEach(function (f) {
      if (f.rt < view.t0 || f.st > view.t1) return;
      var x0 = tx(p, f.st), y0 = f.sc * p.rowH + PAD + (p.rowH - 6) / 2, x1 = tx(p, f.rt), y1 = f.rc * p.rowH + PAD + (p.rowH - 6) / 2;
      g.beginPath(); g.moveTo(x0, y0); g.bezierCurveTo((x0 + x1) / 2, y0, (x0 + x1) / 2, y1, x1, y1); g.stroke();
      g.beginPath(); g.arc(x1, y1, 2.2, 0, 7); g.fillStyle = "rgba(36,41,47,.7)"; g.fill();
    });
  }
  g.restore();
}

function draw() {
  drawAxis(); drawLoad(); drawAssign(); drawTasks();
  document.getElementById("range").textContent = ms(view.t0) + " – " + ms(view.t1) + "  (" + dur(view.t1 - view.t0) + ")";
}
var pending = false;
function redraw() { if (!pending) { pending = true; requestAnimationFrame(function () { pending = false; draw(); }); } }

function zoomTo(t0, t1) {
  var min = 0.05;                                                  // 50 ns: below the clock's resolution
  if (t1 - t0 < min) { var mid = (t0 + t1) / 2; t0 = mid - min / 2; t1 = mid + min / 2; }
  var span = Math.min(t1 - t0, END * 1.1);
  if (t0 < -END * 0.05) t0 = -END * 0.05;
  if (t0 + span > END * 1.05) t0 = END * 1.05 - span;
  view.t0 = t0; view.t1 = t0 + span;
  draw();
}
function zoomAt(t, f) { zoomTo(t - (t - view.t0) * f, t + (view.t1 - t) * f); }

// Hit-testing: the slice under x on a core row, or the nearest within 3 px.
function sliceAt(p, x, y) {
  var c = Math.floor((y - PAD) / p.rowH);
  if (c < 0 || c >= CORES || y - PAD - c * p.rowH > p.rowH - 6 || x < LABEL_W) return -1;
  var t = xt(p, x), list = byCore[c], tol = 3 * (view.t1 - view.t0) / plotW(p);
  var k = firstVisible(list, t - tol), best = -1, bestD = Infinity;
  for (; k < list.length && S.t[list[k]] <= t + tol; k++) {
    var i = list[k], d = t < S.t[i] ? S.t[i] - t : t > S.t[i] + S.d[i] ? t - S.t[i] - S.d[i] : 0;
    if (d < bestD) { best = i; bestD = d; }
  }
  return best;
}
function bandAt(p, x, y) {
  var c = Math.floor((y - PAD) / p.rowH);
  if (c < 0 || c >= CORES || x < LABEL_W) return null;
  var t = xt(p, x), A = M.assign[c];
  for (var i = 0; i < A.t.length; i++) if (A.t[i] <= t && t <= A.t[i] + A.d[i]) return { c: c, i: i };
  return { c: c, i: -1 };
}
function row(k, v) { return "<div><span class=k>" + k + "</span>" + v + "</div>"; }
function details(i) {
  return { machine: M.machines[S.m[i]].name, task: M.fnNames[S.f[i]], taskId: S.k[i], core: S.c[i], start: S.t[i], dur: S.d[i], how: S.how[i] };
}
function showTip(ev, html) {
  tip.innerHTML = html; tip.hidden = false;
  var r = tip.getBoundingClientRect(), x = ev.clientX + 14, y = ev.clientY + 14;
  if (x + r.width > innerWidth - 4) x = ev.clientX - r.width - 14;
  if (y + r.height > innerHeight - 4) y = ev.clientY - r.height - 14;
  tip.style.left = x + "px"; tip.style.top = y + "px";
}
function hover(name, ev) {
  var p = panes[name], rc = p.el.getBoundingClientRect(), x = ev.clientX - rc.left, y = ev.clientY - rc.top;
  if (name === "tasks") {
    var i = sliceAt(p, x, y);
    if (i < 0) { tip.hidden = true; return; }
    var d = details(i);
    showTip(ev, "<b>" + esc(d.task) + "</b>" + row("machine", esc(d.machine)) + row("task id", "0x" + d.taskId.toString(16)) +
      row("core", "core " + d.core) + row("start", ms(d.start)) + row("duration", dur(d.dur)) + row("span", esc(d.how)));
    tip.dataset.slice = String(i);
  } else if (name === "assign") {
    var b = bandAt(p, x, y);
    if (!b) { tip.hidden = true; return; }
    var A = M.assign[b.c];
    if (b.i < 0) { showTip(ev, "<b>core " + b.c + "</b>" + row("serves", "no machine (idle)")); return; }
    showTip(ev, "<b>core " + b.c + "</b>" + row("serves", esc(M.machines[A.m[b.i]].name)) + row("from", ms(A.t[b.i])) + row("for", dur(A.d[b.i])));
  } else {
    var m = Math.floor((y - PAD) / p.rowH);
    if (m < 0 || m >= M.machines.length || x < LABEL_W) { tip.hidden = true; return; }
    var L = M.load[m], j = before(L.t, xt(p, x));
    if (j < 0) { tip.hidden = true; return; }
    showTip(ev, "<b>" + esc(M.machines[m].name) + "</b>" + row("at", ms(L.t[j])) + row("load", L.load[j].toFixed(3)) + row("cores", L.cores[j]) + row("queued", L.queued[j]));
  }
}

var drag = null;
Object.keys(panes).forEach(function (name) {
  var p = panes[name], el = p.el;
  el.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var x = ev.clientX - el.getBoundingClientRect().left;
    zoomAt(xt(p, Math.max(LABEL_W, x)), ev.deltaY > 0 ? 1.25 : 0.8);
  }, { passive: false });
  el.addEventListener("mousedown", function (ev) { drag = { p: p, x: ev.clientX, t0: view.t0, t1: view.t1 }; el.classList.add("dragging"); tip.hidden = true; });
  el.addEventListener("mousemove", function (ev) { if (!drag) hover(name, ev); });
  el.addEventListener("mouseleave", function () { tip.hidden = true; });
});
window.addEventListener("mousemove", function (ev) {
  if (!drag) return;
  var dt = (ev.clientX - drag.x) / plotW(drag.p) * (drag.t1 - drag.t0);
  zoomTo(drag.t0 - dt, drag.t1 - dt);
});
window.addEventListener("mouseup", function () { if (drag) { drag.p.el.classList.remove("dragging"); drag = null; } });
function centre() { return (view.t0 + view.t1) / 2; }
document.getElementById("zoom-in").onclick = function () { zoomAt(centre(), 0.5); };
document.getElementById("zoom-out").onclick = function () { zoomAt(centre(), 2); };
document.getElementById("zoom-reset").onclick = function () { zoomTo(0, END); };
document.getElementById("show-flows").onchange = draw;
window.addEventListener("keydown", function (ev) {
  if (ev.key === "+" || ev.key === "=") zoomAt(centre(), 0.5);
  else if (ev.key === "-") zoomAt(centre(), 2);
  else if (ev.key === "0") zoomTo(0, END);
});
window.addEventListener("resize", redraw);

// Header, legend, lost-events banner, counter tables.
document.getElementById("meta").textContent = M.host + " host · " + CORES + " cores · " + M.machines.length + " machines · " + N + " task slices · " + ms(END);
document.getElementById("legend").innerHTML = M.machines.map(function (m, i) {
  return "<span><span class=swatch style='background:" + color(i) + "'></span>" + esc(m.name) + "</span>";
}).join("") + "<span style='color:#6e7781'>▾ stall / trap / decision · curves: IMS</span>";
var lostCores = Object.keys(M.lost).filter(function (c) { return M.lost[c] > 0; });
if (lostCores.length) {
  var b = document.getElementById("lost-banner");
  b.hidden = false;
  b.textContent = "Events were lost (ring overflow): " + lostCores.map(function (c) { return M.lost[c] + " on core " + c; }).join(", ") + ". The timeline has gaps there.";
}
function table(el, head, rows) {
  el.innerHTML = "<thead><tr>" + head.map(function (h) { return "<th>" + h + "</th>"; }).join("") + "</tr></thead><tbody>" +
    rows.map(function (r) { return "<tr>" + r.join("") + "</tr>"; }).join("") + "</tbody>";
}
function td(v, cls) { return "<td" + (cls ? " class=" + cls : "") + ">" + (v === null || v === undefined ? "—" : esc(v)) + "</td>"; }
table(document.getElementById("summary-machines"), ["machine", "tasks run", "slices", "calls", "IMS sent", "IMS received", "grants", "revokes", "switches in"],
  M.summary.machines.map(function (m) {
    var i = M.machines.findIndex(function (x) { return x.id === m.id; });
    return ["<td><span class=swatch style='background:" + color(Math.max(0, i)) + "'></span>" + esc(m.name) + "</td>", td(m.tasksRun), td(m.slices), td(m.calls), td(m.imsSent), td(m.imsRecv), td(m.grants), td(m.revokes), td(m.switches)];
  }));
table(document.getElementById("summary-cores"), ["core", "events", "lost events"],
  M.summary.cores.map(function (c) { return [td("core " + c.core), td(c.events), td(c.lost, c.lost ? "lost" : "")]; }));

window.sview = {
  ready: false,
  sliceCount: N,
  slicesDrawn: function () { return drawn; },
  slice: details,
  range: function () { return { t0: view.t0, t1: view.t1 }; },
  zoomTo: zoomTo,
  focus: function (i) { var d = Math.max(S.d[i], 0.05); zoomTo(S.t[i] - d, S.t[i] + 2 * d); },
  slicePoint: function (i) {
    var p = panes.tasks, y = S.c[i] * p.rowH + PAD + (p.rowH - 6) / 2;
    var x0 = Math.max(view.t0, S.t[i]), x1 = Math.min(view.t1, S.t[i] + S.d[i]);
    var x = (tx(p, x0) + tx(p, x1)) / 2, rc = p.el.getBoundingClientRect();
    if (rc.top + y < 0 || rc.top + y > innerHeight) { window.scrollBy(0, rc.top + y - innerHeight / 2); rc = p.el.getBoundingClientRect(); }
    return { x: rc.left + x, y: rc.top + y };
  }
};
draw();
window.sview.ready = true;
})();
`;
