// html.ts: the sview page: one self-contained HTML file (inline CSS and JS, the trace embedded as
// JSON in a <script type="application/json">, no network) with the three panes of the paper's
// sview (§4.2, Figure 5): machine load over time, core → machine assignment, tasks on each core.
//
// Owns: the viewer model (the compact, columnar form of a converted trace the page draws) and the
// page around it. The drawing code runs in the browser and lives in viewer.ts as text.
// Not: the event mapping (chrome.ts); it reads our own Chrome JSON (cats task, core, load, ims,
// problem), not arbitrary traces.

import { ChromeTrace, CORES_PID, toChrome } from "./chrome";
import { EVENTS, RawTrace } from "./raw";
import { VIEWER_CSS, VIEWER_JS } from "./viewer";

export interface HtmlOpts { title?: string }

/** What the page draws; every time is µs since the trace origin. Columns, not objects: 10^5 slices. */
export interface ViewerModel {
  title: string; host: string; cores: number; end: number;
  machines: { id: number; name: string }[];
  fnNames: string[];
  /** task slices sorted by start: start, dur, core, machine index, fnNames index, task id, how it began/ended */
  slices: { t: number[]; d: number[]; c: number[]; m: number[]; f: number[]; k: number[]; how: string[] };
  /** per core: the bands of served machines */
  assign: { t: number[]; d: number[]; m: number[] }[];
  /** per machine index: samples of load (0..1), cores, queued */
  load: { t: number[]; load: number[]; cores: number[]; queued: number[] }[];
  /** IMS arrows: send time/core, receive time/core, from/to machine index */
  flows: { st: number; sc: number; rt: number; rc: number; from: number; to: number }[];
  /** markers on the task rows (stall, trap, manager decisions) */
  marks: { t: number; c: number; name: string; text: string }[];
  summary: ChromeTrace["otherData"]["summary"];
  lost: Record<number, number>;
  events: { name: string; phase: string; doc: string }[];
}

export function toModel(tr: ChromeTrace, title = "sview"): ViewerModel {
  const od = tr.otherData;
  const ids = Object.keys(od.machines).map(Number).filter((m) => m !== 0).sort((a, b) => a - b);
  for (const e of tr.traceEvents) if (e.pid !== CORES_PID && e.ph !== "M" && !ids.includes(e.pid)) ids.push(e.pid);
  const mi = new Map(ids.map((id, i) => [id, i]));
  const fnIdx = new Map<string, number>();
  const fnOf = (n: string) => { let i = fnIdx.get(n); if (i === undefined) fnIdx.set(n, i = fnIdx.size); return i; };
  let cores = od.cores;
  for (const e of tr.traceEvents) if (e.ph !== "M") cores = Math.max(cores, e.tid + 1);
  const s: ViewerModel["slices"] = { t: [], d: [], c: [], m: [], f: [], k: [], how: [] };
  const assign = Array.from({ length: cores }, () => ({ t: [] as number[], d: [] as number[], m: [] as number[] }));
  const load = ids.map(() => ({ t: [] as number[], load: [] as number[], cores: [] as number[], queued: [] as number[] }));
  const sends = new Map<string, { t: number; c: number; m: number }>();
  const flows: ViewerModel["flows"] = [];
  const marks: ViewerModel["marks"] = [];
  for (const e of tr.traceEvents) {
    const a = (e.args ?? {}) as Record<string, any>;
    if (e.ph === "X" && e.cat === "task") {
      s.t.push(e.ts); s.d.push(e.dur ?? 0); s.c.push(e.tid); s.m.push(mi.get(e.pid) ?? 0);
      s.f.push(fnOf(e.name)); s.k.push(a.task ?? 0); s.how.push(`${a.start ?? "?"}→${a.end ?? "?"}`);
    } else if (e.ph === "X" && e.cat === "core" && e.pid === CORES_PID) {
      const as = assign[e.tid]; as.t.push(e.ts); as.d.push(e.dur ?? 0); as.m.push(mi.get(a.machine_id) ?? 0);
    } else if (e.ph === "C" && mi.has(e.pid)) {                        // counters hold their value until the next sample
      const l = load[mi.get(e.pid)!];
      const n = l.t.length;
      const prev = (k: "load" | "cores" | "queued") => (n ? l[k][n - 1] : 0);
      const same = n && l.t[n - 1] === e.ts;
      if (!same) { l.t.push(e.ts); l.load.push(prev("load")); l.cores.push(prev("cores")); l.queued.push(prev("queued")); }
      const j = l.t.length - 1;
      if (e.name === "load") l.load[j] = a.utilisation; else if (e.name === "cores") l.cores[j] = a.assigned; else if (e.name === "queued") l.queued[j] = a.tasks;
    } else if (e.ph === "s" && e.cat === "ims") sends.set(String(e.id), { t: e.ts, c: e.tid, m: mi.get(e.pid) ?? 0 });
    else if (e.ph === "f" && e.cat === "ims") {
      const x = sends.get(String(e.id));
      if (x) flows.push({ st: x.t, sc: x.c, rt: e.ts, rc: e.tid, from: x.m, to: mi.get(e.pid) ?? 0 });
    } else if (e.ph === "i" && (e.cat === "problem" || e.name === "manager_decision" || e.name.startsWith("events lost")))
      marks.push({ t: e.ts, c: e.tid, name: e.name, text: Object.entries(a).map(([k, v]) => `${k} ${v}`).join(", ") });
  }
  // Stable by start: the converter sorted every event by ts already, this only guards other inputs.
  const order = s.t.map((_, i) => i).sort((x, y) => s.t[x] - s.t[y] || x - y);
  const perm = <T>(xs: T[]) => order.map((i) => xs[i]);
  return {
    title, host: od.host, cores, end: od.end_us,
    machines: ids.map((id) => ({ id, name: od.machines[id] ?? `machine ${id}` })),
    fnNames: [...fnIdx.keys()],
    slices: { t: perm(s.t), d: perm(s.d), c: perm(s.c), m: perm(s.m), f: perm(s.f), k: perm(s.k), how: perm(s.how) },
    assign, load, flows, marks, summary: od.summary, lost: od.aam_lost,
    events: EVENTS.events.map((e) => ({ name: e.name, phase: e.phase, doc: e.doc })),
  };
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** The page for a converted trace or a RawTrace (converted first). */
export function toHtml(input: ChromeTrace | RawTrace, opts: HtmlOpts = {}): string {
  const tr = (input as RawTrace).format === "aam-raw-trace/1" ? toChrome(input as RawTrace) : (input as ChromeTrace);
  const title = opts.title ?? "sview";
  const data = JSON.stringify(toModel(tr, title)).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${VIEWER_CSS}</style>
</head><body>
<header>
  <h1>${esc(title)}</h1><span id="meta"></span>
  <nav><button id="zoom-in" title="zoom in (+)">+</button><button id="zoom-out" title="zoom out (−)">−</button><button id="zoom-reset" title="whole trace (0)">all</button>
  <label><input type="checkbox" id="show-flows" checked> IMS arrows</label><span id="range"></span></nav>
</header>
<div id="lost-banner" hidden></div>
<div id="legend"></div>
<main>
  <canvas id="axis"></canvas>
  <section id="pane-load" class="pane"><h2>1 · Machine load <small>area: utilisation 0–1 · line: cores assigned</small></h2><canvas></canvas></section>
  <section id="pane-assign" class="pane"><h2>2 · Core → machine assignment</h2><canvas></canvas></section>
  <section id="pane-tasks" class="pane"><h2>3 · Tasks on each core <small>drag to pan · wheel to zoom</small></h2><canvas></canvas></section>
</main>
<section id="summary"><h2>Counters</h2><div class="tables"><table id="summary-machines"></table><table id="summary-cores"></table></div></section>
<div id="sview-tooltip" role="tooltip" hidden></div>
<script type="application/json" id="sview-data">${data}</script>
<script>${VIEWER_JS}</script>
</body></html>
`;
}
