// synth.ts: a deterministic synthetic RawTrace for the trace tests: several machines on 2–4 cores
// with switches, tasks that block and resume (possibly on another core), IMS between machines,
// manager grants/revokes and load samples. The same seed gives the same trace, byte for byte.
//
// Owns: the generator and the event-count helpers the tests compare against. Not: real runs
// (the coordinator's traced examples/pipeline.ts test does those).

import { EVENTS, RawEvent, RawTrace } from "../../tools/trace/raw";

const ID = Object.fromEntries(EVENTS.events.map((e) => [e.name, e.id])) as Record<string, number>;

function rng(seed: number) {                                           // mulberry32
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SynthOpts { seed?: number; cores?: number; tasks?: number; lost?: number[] }

export function synthTrace({ seed = 1, cores = 3, tasks = 60, lost = [] }: SynthOpts = {}): RawTrace {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const machines: Record<number, string> = { 0: "idle", 1: "app", 2: "fs", 3: "net" };
  const fnsOf: Record<number, number[]> = { 1: [1, 2], 2: [3, 4], 3: [5] };
  const fns: Record<number, string> = { 1: "app.main", 2: "app.worker", 3: "fs.read", 4: "fs.write", 5: "net.poll" };
  const ev: RawEvent[][] = Array.from({ length: cores }, () => []);
  const now = Array.from({ length: cores }, (_, c) => 1_000_000 + c * 700);   // ns; not starting at 0
  const serving = Array.from({ length: cores }, () => 0);
  const count = { 1: 0, 2: 0, 3: 0 } as Record<number, number>;      // cores per machine
  const emit = (c: number, type: number, a = 0, b = 0, cc = 0, d = 0) => ev[c].push({ ts: now[c], type, a, b, c: cc, d });
  const blocked: { m: number; fn: number; task: number; at: number }[] = [];
  const ims: { to: number; from: number; flow: number; at: number }[] = [];
  let nextTask = 0x10000, flow = 1, started = 0, tick = 0;

  const switchTo = (c: number, m: number) => {
    if (serving[c] === m) return;
    if (serving[c]) { count[serving[c]]--; emit(0, ID.core_revoke, serving[c], c, count[serving[c]]); }
    if (m) { count[m]++; emit(0, ID.core_grant, m, c, count[m]); }
    emit(c, ID.machine_switch, serving[c], m);
    serving[c] = m;
  };
  const run = (c: number, m: number, fn: number, task: number, resume: boolean) => {
    emit(c, resume ? ID.task_resume : ID.task_begin, m, fn, task);
    now[c] += 2_000 + Math.floor(r() * 40_000);
    if (r() < 0.3) {                                                    // a machine call to another machine
      const to = pick([1, 2, 3].filter((x) => x !== m));
      emit(c, ID.ims_send, m, to, 1 + Math.floor(r() * 3), flow);
      ims.push({ to, from: m, flow: flow++, at: now[c] });
      now[c] += 500 + Math.floor(r() * 5_000);
    }
    if (!resume && r() < 0.35) {                                        // waits on something
      emit(c, ID.task_block, m, fn, task);
      blocked.push({ m, fn, task, at: now[c] });
    } else emit(c, ID.task_end, m, fn, task, 0);
    now[c] += 300 + Math.floor(r() * 3_000);
  };

  // Advance the core that is furthest behind, so cross-core events (resume after block, recv
  // after send) come out in a consistent global order.
  const step = (drain: boolean) => {
    let c = 0;
    for (let i = 1; i < cores; i++) if (now[i] < now[c]) c = i;
    if (c === 0 && now[0] >= tick) {                                    // manager tick on core 0
      for (const m of [1, 2, 3]) {
        const queued = blocked.filter((b) => b.m === m).length + ims.filter((x) => x.to === m).length;
        const load = Math.min(1, (queued + count[m]) / (cores + 1)) * (0.5 + 0.5 * r());
        emit(0, ID.load_sample, m, queued, count[m], Math.round(load * 1000) / 1000);
        if (load > 0.6) emit(0, ID.manager_decision, m, 1, count[m], load);
      }
      tick = now[0] + 100_000;
    }
    const recv = ims.findIndex((x) => x.at <= now[c] && (x.to === serving[c] || drain || r() < 0.2));
    if (recv >= 0) {
      const x = ims.splice(recv, 1)[0];
      switchTo(c, x.to);
      emit(c, ID.queue_monitor, x.to, x.flow % 4, 0);
      emit(c, ID.ims_recv, x.to, x.from, 1, x.flow);
      now[c] += 1_000;
      return;
    }
    const res = blocked.findIndex((b) => b.at <= now[c] && (b.m === serving[c] || drain || r() < 0.2));
    if (res >= 0 && (drain || r() < 0.6)) {
      const b = blocked.splice(res, 1)[0];
      switchTo(c, b.m);
      run(c, b.m, b.fn, b.task, true);
      return;
    }
    if (!drain && started < tasks) {
      const m = r() < 0.7 && serving[c] ? serving[c] : pick([1, 2, 3]);
      switchTo(c, m);
      run(c, m, pick(fnsOf[m]), nextTask += 0x40, false);
      started++;
      return;
    }
    if (r() < 0.1 && serving[c]) { emit(c, ID.queue_unmonitor, serving[c], 0, 0); switchTo(c, 0); }
    now[c] += 5_000 + Math.floor(r() * 20_000);                          // idle
  };
  while (started < tasks) step(false);
  while (blocked.length || ims.length) step(true);
  for (let c = 0; c < cores; c++) switchTo(c, 0);
  return {
    format: "aam-raw-trace/1", host: "node", cores, machines, fns,
    perCore: ev.map((events, core) => ({ core, lost: lost[core] ?? 0, events })),
  };
}

/** How many raw events of the named type the trace holds. */
export function countRaw(raw: RawTrace, name: string): number {
  const id = ID[name];
  return raw.perCore.reduce((n, pc) => n + pc.events.filter((e) => e.type === id).length, 0);
}
