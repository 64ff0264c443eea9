// node-baselines.ts: what a TypeScript user would use instead, measured in this process.
// Each returns the summary of per-operation samples in ns (clock cost included: subtract
// clockCost's median for a hop; worker round trips are far above it). The worker ends live in
// workers.mjs. Not: the system's own rows (run.ts, sched.ts), the C baselines (native.ts).

import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { summarize, type Stats } from "./stats";

const now = (): number => performance.now() * 1e6;

/** queueMicrotask round trip: from queueMicrotask(cb) until cb runs, one sample per hop. */
export async function microtaskRoundTrip(n: number, warm = 1000): Promise<Stats> {
  const xs: number[] = [];
  await new Promise<void>((done) => {
    let i = 0;
    const step = (): void => {
      const t0 = now();
      queueMicrotask(() => {
        const dt = now() - t0;
        if (i >= warm) xs.push(dt);
        if (++i < n + warm) step(); else done();
      });
    };
    step();
  });
  return summarize(xs);
}

/** `k` queueMicrotask hops in a row between two clock reads, one sample per k hops (stats.ts
 *  perOp makes it per hop): the clock's own cost, 60–150 ns here and bimodal, is larger than a
 *  hop, so single hops minus the clock's median are mostly the clock's noise. */
export async function microtaskBatch(n: number, warm: number, k: number): Promise<Stats> {
  const xs: number[] = [];
  await new Promise<void>((done) => {
    let i = 0, left = 0, t0 = 0;
    const hop = (): void => {
      if (--left > 0) { queueMicrotask(hop); return; }
      const dt = now() - t0;
      if (i >= warm) xs.push(dt);
      if (++i < n + warm) step(); else done();
    };
    const step = (): void => { left = k; t0 = now(); queueMicrotask(hop); };
    step();
  });
  return summarize(xs);
}

/** Cost of reading the clock as the samples above do (subtract its median from hops). */
export function clockCost(n: number): Stats {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) { const t0 = now(); xs.push(now() - t0); }
  return summarize(xs);
}

/** await of an already resolved promise, inside an async function: from before the await to after. */
export async function promiseAwait(n: number, warm = 1000): Promise<Stats> {
  const xs: number[] = [];
  const p = Promise.resolve(1);
  for (let i = 0; i < n + warm; i++) {
    const t0 = now();
    await p;
    const dt = now() - t0;
    if (i >= warm) xs.push(dt);
  }
  return summarize(xs);
}

/** postMessage round trip, main thread → echo worker → main thread. */
export async function postMessageRoundTrip(root: string, n: number, warm = 200): Promise<Stats> {
  const w = new Worker(workerFile(root), { workerData: { mode: "echo" } });
  const xs: number[] = [];
  try {
    for (let i = 0; i < n + warm; i++) {
      const t0 = now();
      await new Promise((r) => { w.once("message", r); w.postMessage(i); });
      const dt = now() - t0;
      if (i >= warm) xs.push(dt);
    }
  } finally { await w.terminate(); }
  return summarize(xs);
}

/** Atomics.wait/notify round trip between two workers (the main thread cannot wait). `gapUs`:
 *  worker a busy-waits that long before each round trip, so that b has parked (the idle
 *  machine-call row's gap); `spin`: a spins for the answer (one wake per round trip) instead of
 *  waiting (two). Returns the samples and the wakes per round trip the notifies reported. */
export async function atomicsRoundTrip(root: string, n: number, warm = 200, gapUs = 0, spin = false): Promise<{ ns: Stats; wakes_per_call: number }> {
  const sab = new SharedArrayBuffer(8);
  const f = workerFile(root);
  const wd = { mode: "atomics", sab, n, warm, gapUs, spin };
  const b = new Worker(f, { workerData: { ...wd, role: "b" } });
  const a = new Worker(f, { workerData: { ...wd, role: "a" } });
  try {
    const [ra, rb] = await Promise.all([a, b].map((w) => new Promise<any>((res, rej) => { w.once("message", res); w.once("error", rej); })));
    return { ns: summarize(Array.from(ra.xs as Float64Array)), wakes_per_call: (ra.woke + rb.woke) / n };
  } finally { await Promise.all([a.terminate(), b.terminate()]); }
}

// The wasm spin floor's module (workers.mjs "wasmspin"): ping word at 0, pong word at 64.
const SPIN_WAT = `(module
 (import "env" "mem" (memory 1 1 shared))
 (func (export "call") (param $v i32)
  (i32.atomic.store (i32.const 0) (local.get $v))
  (block $done (loop $l
   (br_if $done (i32.eq (i32.atomic.load (i32.const 64)) (local.get $v)))
   (br $l))))
 (func (export "serve") (param $n i32) (local $i i32)
  (local.set $i (i32.const 1))
  (block $end (loop $next
   (br_if $end (i32.gt_u (local.get $i) (local.get $n)))
   (block $got (loop $spin
    (br_if $got (i32.eq (i32.atomic.load (i32.const 0)) (local.get $i)))
    (br $spin)))
   (i32.atomic.store (i32.const 64) (local.get $i))
   (local.set $i (i32.add (local.get $i) (i32.const 1)))
   (br $next))))
)`;
let spinModule: WebAssembly.Module | null = null;

/** The wasm spin floor: two workers, each in a wasm loop on shared memory, one word each way (as
 *  the C round trip, in the engine our images run in). A sample is one call timed in JS, the
 *  worker's clock cost subtracted. */
export async function wasmSpinRoundTrip(root: string, n: number, warm = 200): Promise<Stats> {
  if (!spinModule) {
    const binaryen = (await import("binaryen")).default;
    const m = binaryen.parseText(SPIN_WAT);
    m.setFeatures(binaryen.Features.All);
    if (!m.validate()) throw new Error("wasm spin floor: the module does not validate");
    spinModule = new WebAssembly.Module(m.emitBinary());
    m.dispose();
  }
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const f = workerFile(root);
  const wd = { mode: "wasmspin", module: spinModule, memory, n, warm };
  const b = new Worker(f, { workerData: { ...wd, role: "b" } });
  const a = new Worker(f, { workerData: { ...wd, role: "a" } });
  try {
    const [ra] = await Promise.all([a, b].map((w) => new Promise<any>((res, rej) => { w.once("message", res); w.once("error", rej); })));
    return summarize(Array.from(ra.xs as Float64Array).map((x) => x - ra.clock));
  } finally { await Promise.all([a.terminate(), b.terminate()]); }
}

/** Piscina (the worker pool a TypeScript user would pick): one task at a time, submit → result. */
export async function piscinaRoundTrip(root: string, n: number, warm = 200): Promise<Stats | string> {
  const P = await piscina();
  if (typeof P === "string") return P;
  const pool = new P({ filename: workerFile(root), minThreads: 1, maxThreads: 1, idleTimeout: 60000 });
  const xs: number[] = [];
  try {
    for (let i = 0; i < n + warm; i++) {
      const t0 = now();
      await pool.run(i);
      const dt = now() - t0;
      if (i >= warm) xs.push(dt);
    }
  } finally { await pool.destroy(); }
  return summarize(xs);
}

/** Piscina throughput with `threads` workers: no-op tasks per second, `tasks` submitted at once
 *  (in windows of 4096 so the queue never holds them all). */
export async function piscinaThroughput(root: string, threads: number, tasks: number): Promise<number | string> {
  const P = await piscina();
  if (typeof P === "string") return P;
  const pool = new P({ filename: workerFile(root), minThreads: threads, maxThreads: threads, idleTimeout: 60000 });
  try {
    await Promise.all(Array.from({ length: 1000 }, (_, i) => pool.run(i)));
    const t0 = now();
    for (let done = 0; done < tasks; done += 4096) {
      await Promise.all(Array.from({ length: Math.min(4096, tasks - done) }, (_, i) => pool.run(i)));
    }
    return tasks / ((now() - t0) / 1e9);
  } finally { await pool.destroy(); }
}

function workerFile(root: string): string { return path.join(root, "tools/bench/workers.mjs"); }

// Piscina's class, or why it is missing (a note, not a failure).
async function piscina(): Promise<any> {
  try { return (await import("piscina")).Piscina; } catch (e) { return `piscina not installed (npm ci): ${(e as Error).message.split("\n")[0]}`; }
}
