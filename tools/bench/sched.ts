// sched.ts: the local task benchmark. Runs tools/bench/programs/sched_bench.ts on one core of the
// Node host (no other task active, as in the paper's §4.3) and, in the same process, the baselines:
// a queueMicrotask round trip and an in-wasm call_indirect loop. Prints mean, sd, median, p99 and
// the ratios. Clock reads cost ~100 ns across the wasm/JS boundary: per-iteration rows have the
// median clock cost subtracted, and the batched row (100 spawns per clock pair) shows the same
// cost without it.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Built } from "../build/build";
import { cachedBuild } from "../build/cache";
import { runImage } from "../host/node";
import { HEADER, row, minus, ns, type Stats } from "./stats";
import { microtaskRoundTrip, clockCost } from "./node-baselines";

export interface SchedBench {
  local_direct: Stats; local_latency: Stats; local_direct_batched: Stats; call_indirect: Stats;
  microtask_rt: Stats; wasm_clock: Stats; js_clock: Stats;
  local_latency_batched?: Stats;
  /** the same program built with --trace (issue 8: at most 10% slower) */
  traced?: { local_latency: Stats; local_direct_batched: Stats; local_latency_batched: Stats; events: number; lost: number;
    /** traced/plain ratios: each round's, their median, and each variant's best round's */
    ratios: { batched: number[]; per_iteration: number[]; median_batched: number; median_per_iteration: number; best_batched: number; best_per_iteration: number } };
}

// Build and run the benchmark program on one core; its last stdout line is the JSON of figures.
// The stall detector is off (AAM_STALL_MS=0): its idle-core wake-ups are not what is measured.
type Program = { module: WebAssembly.Module; manifest: Built["manifest"] };
async function buildSchedProgram(root: string, trace: boolean): Promise<Program> {
  const b = await cachedBuild({ entry: path.join(root, "tools/bench/programs/sched_bench.ts"), root, trace, defines: { AAM_STALL_MS: "0" } });
  return { module: new WebAssembly.Module(b.wasm), manifest: b.manifest };
}

async function runSchedProgram(b: Program, iterations: number): Promise<{ w: any; events: number; lost: number }> {
  const tmp = path.join(os.tmpdir(), `aam-bench-${process.pid}.out`);
  const fd = fs.openSync(tmp, "w+");
  let text = "";
  let events = 0, lost = 0;
  try {
    const r = await runImage({ module: b.module, manifest: b.manifest, cores: 1,
      args: ["sched_bench", String(iterations), String(Math.min(1000, iterations))], fds: [fd, 2] });
    text = fs.readFileSync(tmp, "utf8");
    if (r.code !== 0) throw new Error(`sched_bench exited ${r.code}: ${text}`);
    for (const c of r.trace?.perCore ?? []) { events += c.events.length; lost += c.lost; }
  } finally { fs.closeSync(fd); fs.rmSync(tmp, { force: true }); }
  return { w: JSON.parse(text.trim().split("\n").pop()!), events, lost };
}

export async function benchSched(root: string, iterations: number, out: (s: string) => void, withTrace = true, nRounds = 5): Promise<SchedBench> {
  // With the traced variant: nRounds rounds of (plain, traced), alternating so that a change of
  // load on this shared VM hits both; each variant reports its round with the median latency, and
  // the overhead is also given as the median of the per-round ratios.
  const plain: { w: any }[] = [], traced: { w: any; events: number; lost: number }[] = [];
  const plainProgram = await buildSchedProgram(root, false);
  const tracedProgram = withTrace ? await buildSchedProgram(root, true) : null;
  for (let round = 0; round < (withTrace ? nRounds : 1); round++) {
    plain.push(await runSchedProgram(plainProgram, iterations));
    if (tracedProgram) traced.push(await runSchedProgram(tracedProgram, iterations));
  }
  const mid = <T extends { w: any }>(runs: T[]): T => [...runs].sort((a, b) => a.w.latency_batched.median - b.w.latency_batched.median)[runs.length >> 1];
  const { w } = mid(plain);
  const t = withTrace ? mid(traced) : null;
  const rounds = traced.map((tr, i) => tr.w.latency_batched.median / plain[i].w.latency_batched.median);
  const roundsIter = traced.map((tr, i) => (tr.w.latency.median - tr.w.clock.median) / (plain[i].w.latency.median - plain[i].w.clock.median));
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  // Best of the rounds: this VM has slow spells lasting seconds that hit whichever variant runs then;
  // each variant's fastest round is the one least disturbed.
  const best = (runs: { w: any }[], f: (w: any) => number): number => Math.min(...runs.map((r) => f(r.w)));
  const lat = (w: any): number => w.latency.median - w.clock.median, latB = (w: any): number => w.latency_batched.median;
  const jsClock = clockCost(iterations);
  const micro = minus(await microtaskRoundTrip(iterations), jsClock.median);
  const res: SchedBench = {
    local_direct: minus(w.direct, w.clock.median), local_latency: minus(w.latency, w.clock.median),
    local_direct_batched: w.direct_batched, call_indirect: w.call_indirect, local_latency_batched: w.latency_batched,
    microtask_rt: micro, wasm_clock: w.clock, js_clock: jsClock,
    traced: t ? { local_latency: minus(t.w.latency, t.w.clock.median), local_direct_batched: t.w.direct_batched,
      local_latency_batched: t.w.latency_batched, events: t.events, lost: Math.max(...traced.map((r) => r.lost)),
      ratios: { batched: rounds, per_iteration: roundsIter, median_batched: median(rounds), median_per_iteration: median(roundsIter),
        best_batched: best(traced, latB) / best(plain, latB), best_per_iteration: best(traced, lat) / best(plain, lat) } } : undefined,
  };
  out(`local tasks on the Node host, 1 core, ${iterations} iterations (${new Date().toISOString().slice(0, 10)})\n\n${HEADER}\n`);
  out(row("local task: direct cost (spawn)", res.local_direct) + "\n");
  out(row("local task: direct cost, batched ×100", res.local_direct_batched) + "\n");
  out(row("local task: spawn + wait latency", res.local_latency) + "\n");
  out(row("local task: spawn + wait, batched ×100", res.local_latency_batched!) + "\n");
  out(row("baseline: queueMicrotask round trip", res.microtask_rt) + "\n");
  out(row("baseline: in-wasm call_indirect", res.call_indirect) + "\n");
  out(row("clock read (wasm → JS), subtracted", res.wasm_clock) + "\n");
  if (res.traced) {
    out(row("traced (--trace): spawn + wait latency", res.traced.local_latency) + "\n");
    out(row("traced (--trace): direct cost, batched ×100", res.traced.local_direct_batched) + "\n");
    out(row("traced (--trace): spawn + wait, batched ×100", res.traced.local_latency_batched) + "\n");
  }
  out("\n");
  if (res.traced) {
    const pctOf = (a: number, b: number): string => `${(((a / b) - 1) * 100).toFixed(1)}%`;
    const pct = (a: Stats, b: Stats): string => pctOf(a.median, b.median);
    out(`trace overhead (medians, same run): spawn+wait batched ${pct(res.traced.local_latency_batched, res.local_latency_batched!)} (goal ≤ 10%), ` +
      `spawn+wait per iteration ${pct(res.traced.local_latency, res.local_latency)}, spawn batched ${pct(res.traced.local_direct_batched, res.local_direct_batched)}; ` +
      `per round (traced/plain): spawn+wait batched ${rounds.map((r) => r.toFixed(2)).join(", ")} (median ${median(rounds).toFixed(3)}), ` +
      `per iteration ${roundsIter.map((r) => r.toFixed(2)).join(", ")} (median ${median(roundsIter).toFixed(3)}); ` +
      `best round of each: spawn+wait batched ${pctOf(best(traced, latB), best(plain, latB))}, per iteration ${pctOf(best(traced, lat), best(plain, lat))}; ` +
      `${res.traced.events} events recorded, ${res.traced.lost} lost (the worst round)\n`);
  }
  if (iterations < 2000) out(`note: ${iterations} iterations: the batched rows have ${Math.floor(iterations / 100)} sample(s) and the engine may not have ` +
    `optimised the loop yet (warm-up ${Math.min(1000, iterations)}); use the default 10000 for figures\n`);
  out(`ratios (medians): spawn+wait / queueMicrotask = ${(res.local_latency.median / res.microtask_rt.median).toFixed(2)}; ` +
    `spawn (batched) / call_indirect = ${(res.local_direct_batched.median / res.call_indirect.median).toFixed(1)}; ` +
    `latency ${ns(res.local_latency.median)} vs paper 277 ns, direct ${ns(res.local_direct_batched.median)} vs paper 56 ns\n`);
  return res;
}
