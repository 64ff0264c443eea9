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

/** Atomics.wait/notify round trip between two workers (the main thread cannot wait). */
export async function atomicsRoundTrip(root: string, n: number, warm = 200): Promise<Stats> {
  const sab = new SharedArrayBuffer(8);
  const f = workerFile(root);
  const b = new Worker(f, { workerData: { mode: "atomics", role: "b", sab, n, warm } });
  const a = new Worker(f, { workerData: { mode: "atomics", role: "a", sab, n, warm } });
  try {
    const xs = await new Promise<Float64Array>((res, rej) => { a.once("message", res); a.once("error", rej); b.once("error", rej); });
    return summarize(Array.from(xs));
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
