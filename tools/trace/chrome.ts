// chrome.ts: RawTrace → Chrome trace-event JSON (the "JSON Object Format" that Perfetto and
// chrome://tracing load), plus the per-machine and per-core summary the viewer's table shows.
//
// Owns: the mapping of AAM events onto trace-event phases (docs/TRACING.md draws it):
//   machine m          → process pid m (process_name = the machine's name)
//   core c             → thread tid c in every process it appears in (thread_name "core c")
//   CORES_PID          → one extra process "cores": which machine each core serves (X slices)
//   task slice         → "X" (cat "task") from task_begin/task_resume to task_end/task_block
//   IMS                → 0-length "X" marker + flow "s" (send) / "f" with bp "e" (recv), bound to it
//   load_sample        → "C" counters per machine: load, queued, cores (grants/revokes update cores)
//   everything else    → "i" instants on (machine, core), args named from runtime/trace-events.json
// Timestamps are µs (float) since the earliest event of the trace, each one reading back as whole
// ns (usOf); otherData.origin_ns keeps the origin.
// Lost events are never silent: otherData.aam_lost per core and an "events lost" instant on the core;
// an IMS whose other end was lost keeps its marker but draws no arrow (otherData.unpaired_flows).
// Not: decoding rings (the collectors), checking the output (validate.ts), drawing (html.ts).

import { EVENTS, RawEvent, RawTrace } from "./raw";

/** The process that holds the core → machine assignment rows (no machine has this id). */
export const CORES_PID = 1000000;

export interface ChromeEvent {
  name: string; ph: string; ts: number; pid: number; tid: number;
  cat?: string; dur?: number; id?: number | string; s?: string; bp?: string; args?: Record<string, unknown>;
}

export interface MachineSummary {
  id: number; name: string; tasksRun: number; slices: number; calls: number | null;
  imsSent: number; imsRecv: number; grants: number; revokes: number; switches: number;
}
export interface CoreSummary { core: number; events: number; lost: number }

export interface ChromeTrace {
  traceEvents: ChromeEvent[];
  displayTimeUnit: "ms";
  otherData: {
    format: "aam-chrome/1"; host: string; cores: number; origin_ns: number; end_us: number;
    machines: Record<number, string>; fns: Record<number, string>;
    aam_lost: Record<number, number>; unknown_events: number;
    /** IMS sends or receives whose other end was lost on a full ring: marker, no arrow */
    unpaired_flows: number;
    summary: { machines: MachineSummary[]; cores: CoreSummary[] };
    stats?: RawTrace["stats"];
  };
}

type EvDef = (typeof EVENTS.events)[number];
const byId = new Map<number, EvDef>(EVENTS.events.map((e) => [e.id, e]));
const ID = Object.fromEntries(EVENTS.events.map((e) => [e.name, e.id])) as Record<string, number>;

/** The event's fields under their names in trace-events.json ({machine: 3, fn: 7, ...}). */
export function namedArgs(def: EvDef, e: RawEvent): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, name] of Object.entries(def.args as Record<string, string>)) out[name] = (e as any)[k];
  return out;
}

// Perfetto reads a µs value v as trunc(v * 1000) ns: n / 1000 can come back as n - 1, and then a
// slice starting where its neighbour ends overlaps it by 1 ns and is misnested. Nudge such values
// up to the next double, so every ts and dur reads back as the exact ns.
const f64 = new Float64Array(1), i64 = new BigInt64Array(f64.buffer);
export function usOf(ns: number): number {
  let v = ns / 1000;
  while (Math.trunc(v * 1000) < ns) { f64[0] = v; i64[0] += 1n; v = f64[0]; }
  return v;
}

export function toChrome(raw: RawTrace): ChromeTrace {
  const mname = (m: number) => raw.machines[m] ?? (m === 0 ? "idle" : `machine ${m}`);
  const fname = (f: number) => raw.fns[f] ?? `fn ${f}`;
  let origin = Infinity, last = -Infinity;
  for (const pc of raw.perCore) for (const e of pc.events) { origin = Math.min(origin, e.ts); last = Math.max(last, e.ts); }
  if (origin === Infinity) origin = last = 0;
  // Times stay whole ns since the origin until the end, where usOf turns them into µs.
  const us = (ns: number) => Math.round(ns - origin);
  const endUs = usOf(us(last));

  const out: ChromeEvent[] = [];
  const pids = new Map<number, Set<number>>();                       // pid → tids used
  const use = (pid: number, tid: number) => { let s = pids.get(pid); if (!s) pids.set(pid, s = new Set()); s.add(tid); };
  const summ = new Map<number, MachineSummary>();
  const ms = (m: number) => {
    let s = summ.get(m);
    if (!s) summ.set(m, s = { id: m, name: mname(m), tasksRun: 0, slices: 0, calls: null, imsSent: 0, imsRecv: 0, grants: 0, revokes: 0, switches: 0 });
    return s;
  };
  for (const k of Object.keys(raw.machines)) if (Number(k) !== 0) ms(Number(k));
  const lost: Record<number, number> = {};
  const coreSumm: CoreSummary[] = [];
  let unknown = 0, unpaired = 0;
  // An arrow needs both ends: with events lost on a full ring, one may be missing.
  const flowEnds = (type: number): Set<number> => new Set(raw.perCore.flatMap((pc) => pc.events.filter((e) => e.type === type).map((e) => e.d)));
  const sent = flowEnds(ID.ims_send), received = flowEnds(ID.ims_recv);

  for (const pc of raw.perCore) {
    const core = pc.core;
    coreSumm.push({ core, events: pc.events.length, lost: pc.lost });
    lost[core] = pc.lost;
    use(CORES_PID, core);
    const first = pc.events.length ? us(pc.events[0].ts) : 0;
    const coreEnd = pc.events.length ? us(pc.events[pc.events.length - 1].ts) : 0;
    if (pc.lost > 0)                                                   // the ring overflowed before these events
      out.push({ name: `events lost: ${pc.lost}`, cat: "aam", ph: "i", s: "t", ts: first, pid: CORES_PID, tid: core, args: { core, lost: pc.lost } });

    // The open task slice on this core, and the machine the core serves since `since`.
    let open: { ts: number; machine: number; fn: number; task: number; how: string } | null = null;
    let serving = -1, since = first;
    const slice = (endTs: number, how: string, extra: Record<string, unknown> = {}) => {
      const o = open!; open = null;
      ms(o.machine).slices++;
      use(o.machine, core);
      out.push({ name: fname(o.fn), cat: "task", ph: "X", ts: o.ts, dur: Math.max(0, endTs - o.ts), pid: o.machine, tid: core,
        args: { machine: mname(o.machine), machine_id: o.machine, task: o.task, core, fn: fname(o.fn), fn_index: o.fn, start: o.how, end: how, ...extra } });
    };
    const serve = (m: number, endTs: number) => {
      if (serving > 0 && endTs >= since)
        out.push({ name: mname(serving), cat: "core", ph: "X", ts: since, dur: endTs - since, pid: CORES_PID, tid: core, args: { machine: mname(serving), machine_id: serving, core } });
      serving = m; since = endTs;
    };

    for (const e of pc.events) {
      const ts = us(e.ts);
      const def = byId.get(e.type);
      if (!def) {
        unknown++;
        out.push({ name: `unknown event ${e.type}`, cat: "aam", ph: "i", s: "t", ts, pid: CORES_PID, tid: core, args: { ...e } });
        continue;
      }
      const a = namedArgs(def, e);
      switch (e.type) {
        case ID.task_begin: case ID.task_resume:
          if (open) slice(ts, "unclosed", { unclosed: true });         // its end was lost
          if (e.type === ID.task_begin) ms(e.a).tasksRun++;
          open = { ts, machine: e.a, fn: e.b, task: e.c, how: e.type === ID.task_begin ? "begin" : "resume" };
          break;
        case ID.task_end: case ID.task_block: {
          const how = e.type === ID.task_block ? "block" : e.d ? "failed" : "end";
          if (!open) open = { ts: first, machine: e.a, fn: e.b, task: e.c, how: "truncated" };   // its start was lost
          slice(ts, how);
          break;
        }
        case ID.machine_switch:
          if (serving < 0) serving = e.a;                               // before the first switch: `from`
          serve(e.b, ts);
          if (e.b) ms(e.b).switches++;
          out.push({ name: `switch ${mname(e.a)} → ${mname(e.b)}`, cat: "switch", ph: "i", s: "t", ts, pid: CORES_PID, tid: core, args: { from: mname(e.a), to: mname(e.b), core } });
          break;
        case ID.ims_send: case ID.ims_recv: {
          const send = e.type === ID.ims_send;
          const m = e.a;                                                 // send: from; recv: the receiver
          send ? ms(m).imsSent++ : ms(m).imsRecv++;
          use(m, core);
          const args = send ? { from: mname(e.a), to: mname(e.b), signal: e.c, flow: e.d, core } : { machine: mname(e.a), from: mname(e.b), signal: e.c, flow: e.d, core };
          // The flow binds to a slice that encloses it; the 0-length marker is that slice even
          // when the signal is sent or handled outside a task.
          out.push({ name: send ? "ims send" : "ims recv", cat: "ims", ph: "X", ts, dur: 0, pid: m, tid: core, args });
          if (!(send ? received : sent).has(e.d)) { unpaired++; break; }
          out.push(send ? { name: "ims", cat: "ims", ph: "s", id: e.d, ts, pid: m, tid: core }
                        : { name: "ims", cat: "ims", ph: "f", bp: "e", id: e.d, ts, pid: m, tid: core });
          break;
        }
        case ID.clock: break;                                            // a clock reading only (runtime/sys/trace.ts)
        case ID.load_sample:
          use(e.a, core);
          // Perfetto names a counter track "<name> <arg>": "load utilisation", "queued tasks", "cores assigned".
          out.push({ name: "load", cat: "load", ph: "C", ts, pid: e.a, tid: core, args: { utilisation: e.d } });
          out.push({ name: "queued", cat: "load", ph: "C", ts, pid: e.a, tid: core, args: { tasks: e.b } });
          out.push({ name: "cores", cat: "load", ph: "C", ts, pid: e.a, tid: core, args: { assigned: e.c } });
          break;
        case ID.core_grant: case ID.core_revoke: {
          e.type === ID.core_grant ? ms(e.a).grants++ : ms(e.a).revokes++;
          use(e.a, core);
          out.push({ name: def.name, cat: "manager", ph: "i", s: "t", ts, pid: e.a, tid: core, args: { ...a, machine: mname(e.a), core_decided_on: core } });
          out.push({ name: "cores", cat: "load", ph: "C", ts, pid: e.a, tid: core, args: { assigned: e.c } });
          break;
        }
        default: {                                                       // monitor, decisions, stall, trap
          const m = "machine" in a ? a.machine : 0;
          const pid = m > 0 ? m : CORES_PID;
          use(pid, core);
          out.push({ name: def.name, cat: def.name === "stall" || def.name === "trap" ? "problem" : "manager", ph: "i", s: "t", ts, pid, tid: core,
            args: { ...a, ...(m > 0 ? { machine: mname(m) } : {}), ...(a.fn !== undefined ? { fn: fname(a.fn) } : {}), core } });
        }
      }
    }
    if (open) slice(coreEnd, "unfinished", { unfinished: true });      // still running when the trace stopped
    if (serving > 0) serve(0, coreEnd);
  }

  // Sort by time (stable: same-ts events keep their emission order), metadata first.
  const ord = out.map((e, i) => ({ e, i }));
  ord.sort((x, y) => x.e.ts - y.e.ts || x.i - y.i);
  for (const { e } of ord) { e.ts = usOf(e.ts); if (e.dur !== undefined) e.dur = usOf(e.dur); }
  const meta: ChromeEvent[] = [];
  for (const [pid, tids] of [...pids].sort((x, y) => x[0] - y[0])) {
    const pname = pid === CORES_PID ? "cores" : mname(pid);
    meta.push({ name: "process_name", ph: "M", ts: 0, pid, tid: 0, args: { name: pname } });
    meta.push({ name: "process_sort_index", ph: "M", ts: 0, pid, tid: 0, args: { sort_index: pid === CORES_PID ? -1 : pid } });
    for (const tid of [...tids].sort((x, y) => x - y)) {
      meta.push({ name: "thread_name", ph: "M", ts: 0, pid, tid, args: { name: `core ${tid}` } });
      meta.push({ name: "thread_sort_index", ph: "M", ts: 0, pid, tid, args: { sort_index: tid } });
    }
  }
  if (raw.stats) for (const s of raw.stats.machines) ms(s.id).calls = s.callsIn;
  summ.delete(0);
  return {
    traceEvents: [...meta, ...ord.map((x) => x.e)],
    displayTimeUnit: "ms",
    otherData: {
      format: "aam-chrome/1", host: raw.host, cores: raw.cores, origin_ns: origin, end_us: endUs,
      machines: raw.machines, fns: raw.fns, aam_lost: lost, unknown_events: unknown, unpaired_flows: unpaired,
      summary: { machines: [...summ.values()].sort((x, y) => x.id - y.id), cores: coreSumm.sort((x, y) => x.core - y.core) },
      ...(raw.stats ? { stats: raw.stats } : {}),
    },
  };
}
